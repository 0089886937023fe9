import { spawn } from 'node:child_process';

// Runs in a detached shell so it outlives this Node process if that is SIGKILLed
// (when no 'exit' handler can run): it then stops the service and removes its files.
const GUARD_SCRIPT = `
parent=$1; service=$2; signal=$3; dir=$4
while kill -0 "$parent" 2>/dev/null && kill -0 "$service" 2>/dev/null; do sleep 1; done
if kill -0 "$service" 2>/dev/null; then
  kill -s "$signal" "$service" 2>/dev/null
  tries=0
  while kill -0 "$service" 2>/dev/null && [ "$tries" -lt 20 ]; do sleep 0.5; tries=$((tries + 1)); done
  kill -s KILL "$service" 2>/dev/null
  rm -rf "$dir"
fi
`;

/** Makes sure the service process dies (and `workDir` is removed) if this Node process dies without cleaning up. */
export function guardAgainstOrphaning(servicePid: number, signal: NodeJS.Signals, workDir: string): void {
  const guard = spawn('sh', ['-c', GUARD_SCRIPT, 'orphan-guard', String(process.pid), String(servicePid), signal.replace(/^SIG/, ''), workDir], {
    detached: true,
    stdio: 'ignore',
  });
  guard.on('error', () => undefined);
  guard.unref();
}
