import { spawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { lastLines } from './log-tail.js';

// Enough for a stack trace or an apt/Maven error, without the pages of configuration some tools print first.
const MAX_ERROR_OUTPUT_LINES = 60;

export interface RunCommandOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Run as this user (requires root). */
  readonly uid?: number;
  readonly gid?: number;
  readonly timeoutMs?: number;
}

export interface CommandOutput {
  readonly stdout: string;
  readonly stderr: string;
}

export interface CommandResult extends CommandOutput {
  /** null when a signal ended the command. */
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Runs a command to completion, capturing its output; resolves whatever the exit code (callers that assert on it). */
export function runCommandForResult(command: string, args: readonly string[], options: RunCommandOptions = {}): Promise<CommandResult> {
  const commandLine = [command, ...args].join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      uid: options.uid,
      gid: options.gid,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: options.timeoutMs,
      killSignal: 'SIGKILL',
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', (error) => reject(new Error(`Could not run \`${commandLine}\`: ${error.message}`)));
    child.once('close', (exitCode, signal) => resolve({ stdout, stderr, exitCode, signal }));
  });
}

/** Runs a command to completion, capturing its output; rejects with that output when it fails. */
export async function runCommand(command: string, args: readonly string[], options: RunCommandOptions = {}): Promise<CommandOutput> {
  const { stdout, stderr, exitCode, signal } = await runCommandForResult(command, args, options);
  if (exitCode === 0) return { stdout, stderr };
  const outcome = signal !== null ? `was killed by ${signal}` : `exited with code ${String(exitCode)}`;
  const output = lastLines(withoutColours(`${stdout}\n${stderr}`).trim(), MAX_ERROR_OUTPUT_LINES);
  throw new Error(`\`${[command, ...args].join(' ')}\` ${outcome}${output === '' ? '' : `:\n${output}`}`);
}

function withoutColours(text: string): string {
  return text.replace(/\x1b\[[0-9;]*m/g, '');
}

/** Absolute path of an executable found on PATH, or undefined. */
export async function findOnPath(executable: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, executable);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

export async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
