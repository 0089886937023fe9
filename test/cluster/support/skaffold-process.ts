import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { resolveCacheDir } from '../../../deploy/local/system/cache-dir.js';
import { runCommandForResult, type CommandResult } from '../../../deploy/local/system/run-command.js';
import { writeQuietSkaffoldConfig } from '../../support/kubernetes/skaffold.js';
import { clusterSessionEnv } from './cluster-session-env.js';
import { offlineFlags } from './offline-skaffold.js';

const STOP_TIMEOUT_MS = 4 * 60_000;
const COMMAND_TIMEOUT_MS = 15 * 60_000;

/** The offline flags (offline-skaffold.ts) of every skaffold command of the cluster tests: the cluster's registry, one namespace. */
function commonArgs(command: 'dev' | 'run' | 'delete', namespace: string): string[] {
  const args = offlineFlags(clusterSessionEnv().registry, namespace).flatMap((flag) => flag.flags);
  // delete neither builds nor pushes, and has no such flag.
  return command === 'delete' ? args.filter((arg) => !arg.startsWith('--insecure-registry=')) : args;
}

/**
 * A HOME of its own whose skaffold config turns off metrics, surveys and update checks, and a PATH that starts with the
 * session's helm and kubectl (skaffold's deployers call them by name).
 */
async function skaffoldEnvironment(home: string): Promise<NodeJS.ProcessEnv> {
  const session = clusterSessionEnv();
  await writeQuietSkaffoldConfig(home);
  const toolDirs = [path.dirname(session.helm), path.dirname(session.kubectl)];
  return {
    ...process.env,
    HOME: home,
    // The custom builder's podman storage and stand-ins live in the cache dir, which would otherwise follow HOME.
    TODO_HISTORY_CACHE: resolveCacheDir(),
    KUBECONFIG: session.kubeconfig,
    PATH: [...toolDirs, process.env['PATH'] ?? ''].join(path.delimiter),
  };
}

/** `skaffold run` or `skaffold delete` in `checkout`, to completion (bounded), its output echoed with a prefix. */
export async function skaffoldCommand(checkout: string, namespace: string, command: 'run' | 'delete', extraArgs: readonly string[] = []): Promise<CommandResult> {
  const home = await fs.mkdtemp(path.join(os.tmpdir(), 'todo-history-skaffold-home-'));
  try {
    const result = await runCommandForResult(clusterSessionEnv().skaffold, [command, ...commonArgs(command, namespace), ...extraArgs], { cwd: checkout, env: await skaffoldEnvironment(home), timeoutMs: COMMAND_TIMEOUT_MS });
    for (const line of `${result.stdout}${result.stderr}`.split('\n').filter((text) => text !== '')) process.stdout.write(`skaffold ${command}: ${line}\n`);
    return result;
  } finally {
    await fs.rm(home, { recursive: true, force: true });
  }
}

/**
 * `skaffold dev` running in `checkout` as a developer runs it, in a process group of its own: stop() is the
 * developer's Ctrl-C (SIGINT to the group), after which skaffold deletes what it deployed; past the stop
 * timeout the whole group is killed. Its output is echoed line by line with a prefix and kept for waitForOutput.
 */
export class SkaffoldDev {
  readonly #child: ChildProcess;
  readonly #home: string;
  readonly #exited: Promise<number | null>;
  #output = '';

  private constructor(child: ChildProcess, home: string) {
    this.#child = child;
    this.#home = home;
    let partial = '';
    const collect = (chunk: string): void => {
      this.#output += chunk;
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) process.stdout.write(`skaffold dev: ${line}\n`);
    };
    child.stdout?.setEncoding('utf8').on('data', collect);
    child.stderr?.setEncoding('utf8').on('data', collect);
    this.#exited = new Promise((resolve) => child.once('close', (code) => resolve(code)));
  }

  static async start(checkout: string, namespace: string, extraArgs: readonly string[] = []): Promise<SkaffoldDev> {
    const home = await fs.mkdtemp(path.join(os.tmpdir(), 'todo-history-skaffold-home-'));
    const child = spawn(clusterSessionEnv().skaffold, ['dev', ...commonArgs('dev', namespace), ...extraArgs], {
      cwd: checkout,
      env: await skaffoldEnvironment(home),
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new SkaffoldDev(child, home);
  }

  get output(): string {
    return this.#output;
  }

  /** Waits until `pattern` has appeared `times` times in the output; fails early when skaffold exits. */
  async waitForOutput(pattern: RegExp, times: number, timeoutMs: number): Promise<void> {
    const global = new RegExp(pattern.source, `${pattern.flags.replace('g', '')}g`);
    const deadline = Date.now() + timeoutMs;
    while ((this.#output.match(global) ?? []).length < times) {
      if (this.#child.exitCode !== null) throw new Error(`skaffold dev exited (${String(this.#child.exitCode)}) before printing ${String(pattern)} ${String(times)} time(s)`);
      if (Date.now() > deadline) throw new Error(`skaffold dev did not print ${String(pattern)} ${String(times)} time(s) within ${String(timeoutMs)} ms`);
      await sleep(1_000);
    }
  }

  #signalGroup(signal: NodeJS.Signals): void {
    if (this.#child.pid === undefined) return;
    try {
      process.kill(-this.#child.pid, signal);
    } catch {
      // The group is gone already.
    }
  }

  /** Ctrl-C; resolves with skaffold's exit code, or null when it had to be killed. */
  async stop(): Promise<number | null> {
    try {
      if (this.#child.exitCode !== null) return this.#child.exitCode;
      this.#signalGroup('SIGINT');
      const code = await Promise.race([this.#exited, sleep(STOP_TIMEOUT_MS, 'timeout' as const, { ref: false })]);
      if (code !== 'timeout') return code;
      this.#signalGroup('SIGKILL');
      await this.#exited;
      return null;
    } finally {
      // Whatever skaffold started and left behind goes with the group.
      this.#signalGroup('SIGKILL');
      await fs.rm(this.#home, { recursive: true, force: true });
    }
  }
}
