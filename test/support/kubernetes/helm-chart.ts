import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureGoTool } from '../../../deploy/local/tools/go-tools.js';
import { runCommandForResult, type CommandResult } from '../../../deploy/local/system/run-command.js';
import { parseManifests, type KubeObject } from './manifests.js';

export const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
export const chartDir = path.join(repoRoot, 'helm', 'todo-history');
export const RELEASE = 'history';
export const NAMESPACE = 'todo';

/** The values files CI renders, as paths relative to the chart. */
export const ciValuesFiles: readonly string[] = readdirSync(path.join(chartDir, 'ci'))
  .filter((file) => file.endsWith('-values.yaml'))
  .sort()
  .map((file) => path.join('ci', file));

export interface RenderOptions {
  valuesFiles?: readonly string[];
  /** `--set key=value` pairs. */
  set?: Readonly<Record<string, string>>;
}

function valueArgs({ valuesFiles = [], set = {} }: RenderOptions): string[] {
  return [...valuesFiles.flatMap((file) => ['--values', path.join(chartDir, file)]), ...Object.entries(set).flatMap(([key, value]) => ['--set', `${key}=${value}`])];
}

export async function helm(args: readonly string[]): Promise<CommandResult> {
  return runCommandForResult(await ensureGoTool('helm'), args, { cwd: repoRoot });
}

/** `helm template` of the chart, with its hooks and tests; the result keeps helm's exit code and output. */
export async function helmTemplate(options: RenderOptions = {}): Promise<CommandResult> {
  return helm(['template', RELEASE, chartDir, '--namespace', NAMESPACE, ...valueArgs(options)]);
}

/** The rendered objects; throws with helm's output when rendering fails. */
export async function renderChart(options: RenderOptions = {}): Promise<KubeObject[]> {
  const result = await helmTemplate(options);
  if (result.exitCode !== 0) throw new Error(`helm template failed (exit ${String(result.exitCode)}):\n${result.stderr}`);
  return parseManifests(result.stdout);
}

export async function helmLint(options: RenderOptions = {}): Promise<CommandResult> {
  return helm(['lint', chartDir, '--strict', '--namespace', NAMESPACE, ...valueArgs(options)]);
}
