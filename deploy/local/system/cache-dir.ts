import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where downloaded service runtimes are kept between runs: $TODO_HISTORY_CACHE, else ~/.cache/todo-history. */
export function resolveCacheDir(): string {
  const configured = process.env.TODO_HISTORY_CACHE;
  return configured !== undefined && configured !== '' ? configured : join(homedir(), '.cache', 'todo-history');
}
