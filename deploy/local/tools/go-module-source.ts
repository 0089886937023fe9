import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { goEnvironment } from './go-module-build.js';
import { runCommand } from '../system/run-command.js';

/** Extracted, read-only source directory of `module@version` in the Go module cache (downloaded via the proxy if needed). */
export async function goModuleSourceDir(module: string, version: string): Promise<string> {
  // Outside any module, so that no go.mod around the caller is consulted or modified.
  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'go-mod-download-'));
  try {
    const result = await runCommand('go', ['mod', 'download', '-json', `${module}@${version}`], {
      cwd: scratch,
      env: goEnvironment(),
    });
    const { Dir: dir } = JSON.parse(result.stdout) as { Dir?: string };
    if (dir === undefined) throw new Error(`go mod download ${module}@${version} reported no directory:\n${result.stdout}`);
    return dir;
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
}
