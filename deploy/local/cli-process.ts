import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The compiled CLI, exactly what the container image runs. */
export const cliPath = fileURLToPath(new URL('../../src/cli.js', import.meta.url));

/**
 * Node's options of the image's ENTRYPOINT: kafkajs 2.2.4 sets negative timeouts, which Node 24 reports
 * with a warning line that is not JSON (tulios/kafkajs#1751); the timers behave as before.
 */
export const cliNodeOptions = ['--disable-warning=TimeoutNegativeWarning'];

/** A `todo-history` process with its output collected. */
export interface CliProcess {
  child: ChildProcess;
  output(): string;
  /** Parsed JSON log lines written so far. */
  logLines(): Record<string, unknown>[];
  exited: Promise<number | null>;
}

/**
 * Starts `todo-history` with `env` only. `ownProcessGroup` keeps a terminal's Ctrl-C from reaching it
 * directly, so whoever started it stops it, once. `sourceMaps` maps stacks to the TypeScript; the image
 * runs without, and a benchmark measuring memory and CPU as deployed turns it off (Node keeps every
 * loaded module's source map in memory).
 */
export function startCli(args: string[], env: Record<string, string>, { ownProcessGroup = false, sourceMaps = true } = {}): CliProcess {
  const child = spawn(process.execPath, [...(sourceMaps ? ['--enable-source-maps'] : []), ...cliNodeOptions, cliPath, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: ownProcessGroup,
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    logLines: () =>
      output
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    exited,
  };
}

/** Runs a CLI command to its end. */
export async function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const cli = startCli(args, env);
  const code = await cli.exited;
  return { code, output: cli.output() };
}
