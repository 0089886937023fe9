import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCommand } from '../system/run-command.js';
import { buildImage, imageExists } from './podman.js';

export const PAUSE_IMAGE = 'localhost/todo-history/pause:1';

/** deploy/local/image/pause.c: the compiled .js sits in dist/, the C source stays in the tree. */
const PAUSE_SOURCE = fileURLToPath(new URL('../../../../deploy/local/image/pause.c', import.meta.url));

/** The pod sandbox image: one static binary FROM scratch (the public pause image cannot be pulled here). */
export async function ensurePauseImage(): Promise<string> {
  if (await imageExists(PAUSE_IMAGE)) return PAUSE_IMAGE;
  const context = await fs.mkdtemp(path.join(os.tmpdir(), 'todo-history-pause-'));
  try {
    await runCommand('gcc', ['-static', '-Os', '-s', '-o', path.join(context, 'pause'), PAUSE_SOURCE]);
    await fs.writeFile(path.join(context, 'Containerfile'), 'FROM scratch\nCOPY pause /pause\nUSER 65535:65535\nENTRYPOINT ["/pause"]\n');
    await buildImage(context, 'Containerfile', PAUSE_IMAGE);
  } finally {
    await fs.rm(context, { recursive: true, force: true });
  }
  return PAUSE_IMAGE;
}
