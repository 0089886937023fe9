/** Exponential backoff: `initial`, doubling per consecutive failure, capped at `max`. */
export function backoffDelay(failures: number, initialMs: number, maxMs: number): number {
  return Math.min(maxMs, initialMs * 2 ** Math.max(0, failures - 1));
}
