import os from 'node:os';
import path from 'node:path';

/** Root of the machine-wide cache shared by test tooling: `$TODO_HISTORY_CACHE` or `~/.cache/todo-history`. */
export function toolsCacheRoot(): string {
  const fromEnv = process.env['TODO_HISTORY_CACHE'];
  if (fromEnv !== undefined && fromEnv.trim() !== '') return path.resolve(fromEnv);
  return path.join(os.homedir(), '.cache', 'todo-history');
}
