import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ensureGoTool } from '../../../deploy/local/tools/go-tools.js';
import { runCommandForResult, type CommandResult } from '../../../deploy/local/system/run-command.js';
import { repoRoot } from './helm-chart.js';

/** A skaffold global config in `home` that turns off metrics, surveys and update checks. */
export async function writeQuietSkaffoldConfig(home: string): Promise<void> {
  await fs.mkdir(path.join(home, '.skaffold'), { recursive: true });
  await fs.writeFile(path.join(home, '.skaffold', 'config'), 'global:\n  collect-metrics: false\n  survey:\n    disable-prompt: true\n  update:\n    check: false\n');
}

/**
 * Runs skaffold on the repository (or the checkout `cwd`) with a throwaway HOME whose global config turns off metrics, surveys and
 * update checks, and with the cached helm and kubectl first on PATH (skaffold's helm deployer and renderer call
 * `helm`; its kustomize renderer calls `kubectl kustomize` when there is no `kustomize`).
 */
export async function skaffold(args: readonly string[], cwd = repoRoot): Promise<CommandResult> {
  const home = await fs.mkdtemp(path.join(os.tmpdir(), 'todo-history-skaffold-home-'));
  try {
    await writeQuietSkaffoldConfig(home);
    const toolDirs = [path.dirname(await ensureGoTool('helm')), path.dirname(await ensureGoTool('kubectl'))];
    const env = { ...process.env, HOME: home, PATH: [...toolDirs, process.env['PATH'] ?? ''].join(path.delimiter) };
    return await runCommandForResult(await ensureGoTool('skaffold'), [...args, '--interactive=false', '--update-check=false'], { cwd, env });
  } finally {
    await fs.rm(home, { recursive: true, force: true });
  }
}
