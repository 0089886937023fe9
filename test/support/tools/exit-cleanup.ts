/**
 * Synchronous cleanup callbacks run when the process exits or is stopped by a
 * signal, so that no etcd/kube-apiserver outlives a crashed or interrupted test run.
 */
const callbacks = new Set<() => void>();
const SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
let installed = false;

function runAll(): void {
  for (const callback of callbacks) {
    try {
      callback();
    } catch {
      // Best effort while exiting.
    }
  }
  callbacks.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  runAll();
  for (const each of SIGNALS) process.removeListener(each, onSignal);
  // Keep the default "terminate" behaviour unless someone else handles the signal.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

export function registerExitCleanup(callback: () => void): () => void {
  if (!installed) {
    installed = true;
    process.on('exit', runAll);
    for (const signal of SIGNALS) process.on(signal, onSignal);
  }
  callbacks.add(callback);
  return () => callbacks.delete(callback);
}
