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
  /** Default RELEASE and NAMESPACE. */
  release?: string;
  namespace?: string;
  /** Relative to the chart. */
  valuesFiles?: readonly string[];
  /** `--set key=value` pairs. */
  set?: Readonly<Record<string, string>>;
  /** `--set-json key=JSON` pairs. */
  setJson?: Readonly<Record<string, unknown>>;
  /**
   * Whether test-image-values.yaml goes first (default true): it sets the image.repository every install needs,
   * unless the other values set one.
   */
  testImage?: boolean;
}

function valueArgs({ valuesFiles = [], set = {}, setJson = {}, testImage = true }: RenderOptions): string[] {
  // A --values file rather than --set, so that a later values file can still set image.registry and image.repository.
  const imageFile = testImage ? [path.join(repoRoot, 'test', 'support', 'kubernetes', 'test-image-values.yaml')] : [];
  return [
    ...[...imageFile, ...valuesFiles.map((file) => path.join(chartDir, file))].flatMap((file) => ['--values', file]),
    ...Object.entries(set).flatMap(([key, value]) => ['--set', `${key}=${value}`]),
    ...Object.entries(setJson).flatMap(([key, value]) => ['--set-json', `${key}=${JSON.stringify(value)}`]),
  ];
}

export async function helm(args: readonly string[]): Promise<CommandResult> {
  return runCommandForResult(await ensureGoTool('helm'), args, { cwd: repoRoot });
}

/** `helm template` of the chart, with its hooks and tests; the result keeps helm's exit code and output. */
export async function helmTemplate(options: RenderOptions = {}): Promise<CommandResult> {
  return helm(['template', options.release ?? RELEASE, chartDir, '--namespace', options.namespace ?? NAMESPACE, ...valueArgs(options)]);
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
