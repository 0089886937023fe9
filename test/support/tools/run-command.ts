import { spawn } from 'node:child_process';

export interface CommandOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

export interface CommandResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** stdout and stderr interleaved, truncated at the front to the last `MAX_KEPT_OUTPUT` characters. */
  output: string;
  stdout: string;
}

const MAX_KEPT_OUTPUT = 512 * 1024;

function keepTail(text: string): string {
  return text.length > MAX_KEPT_OUTPUT ? text.slice(text.length - MAX_KEPT_OUTPUT) : text;
}

export function lastLines(text: string, count = 40): string {
  return text.trimEnd().split('\n').slice(-count).join('\n');
}

/** Runs a command to completion, never rejecting on a non-zero exit (callers decide). */
export function runCommand(command: string, args: readonly string[], options: CommandOptions = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout = keepTail(stdout + chunk);
      output = keepTail(output + chunk);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      output = keepTail(output + chunk);
    });
    child.on('error', reject);
    child.on('close', (exitCode, signal) => resolve({ exitCode, signal, output, stdout }));
  });
}

export class CommandFailedError extends Error {
  constructor(description: string, result: CommandResult) {
    const status = result.signal !== null ? `signal ${result.signal}` : `exit code ${String(result.exitCode)}`;
    super(`${description} failed (${status}). Last output lines:\n${lastLines(result.output)}`);
    this.name = 'CommandFailedError';
  }
}

/** Like `runCommand` but rejects with the output tail when the command does not exit 0. */
export async function runCommandOrThrow(
  description: string,
  command: string,
  args: readonly string[],
  options: CommandOptions = {},
): Promise<CommandResult> {
  const result = await runCommand(command, args, options);
  if (result.exitCode !== 0) throw new CommandFailedError(description, result);
  return result;
}
