import { describeError } from './log-tail.js';

/** What a running service does when this Node process is going away. */
export interface ExitCleanup {
  /** Synchronous last resort, run from the 'exit' event where nothing asynchronous can happen. */
  killNow(): void;
  /** Orderly shutdown, run on SIGINT/SIGTERM before the signal takes effect. */
  shutdown(): Promise<void>;
}

const SHUTDOWN_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
const cleanups = new Set<ExitCleanup>();
let exitListenerInstalled = false;
let signalListenersInstalled = false;

/** Registers a cleanup run on process exit and on SIGINT/SIGTERM; returns the function that unregisters it. */
export function registerExitCleanup(cleanup: ExitCleanup): () => void {
  if (!exitListenerInstalled) {
    process.on('exit', killAllNow);
    exitListenerInstalled = true;
  }
  setSignalListeners(true);
  cleanups.add(cleanup);
  return () => {
    cleanups.delete(cleanup);
  };
}

function setSignalListeners(installed: boolean): void {
  if (signalListenersInstalled === installed) return;
  for (const signal of SHUTDOWN_SIGNALS) {
    if (installed) process.on(signal, shutdownAllThenResignal);
    else process.off(signal, shutdownAllThenResignal);
  }
  signalListenersInstalled = installed;
}

function killAllNow(): void {
  for (const cleanup of cleanups) {
    try {
      cleanup.killNow();
    } catch (error) {
      process.stderr.write(`local services: cleanup on exit failed: ${describeError(error)}\n`);
    }
  }
  cleanups.clear();
}

async function shutdownAllThenResignal(signal: NodeJS.Signals): Promise<void> {
  // Counted now, while one-shot listeners of others (e.g. a CLI) are still registered.
  const othersHandleSignal = process.listenerCount(signal) > 1;
  // Without our listener a second signal gets Node's default handling: immediate exit, then killAllNow.
  setSignalListeners(false);
  const results = await Promise.allSettled([...cleanups].map((cleanup) => cleanup.shutdown()));
  for (const result of results) {
    if (result.status === 'rejected') process.stderr.write(`local services: shutdown on ${signal} failed: ${describeError(result.reason)}\n`);
  }
  // When nobody else handles the signal, give it its default effect: terminate.
  if (!othersHandleSignal) {
    killAllNow();
    process.kill(process.pid, signal);
  }
}
