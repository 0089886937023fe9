import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { runCommand } from '../system/run-command.js';
import type { ChartRelease } from './chart-version-rule.js';
import { ensureGoTool } from './go-tools.js';

/** The chart versions released, oldest first, with the digest of each one's packaged files. */
export const releasedChartsPath = fileURLToPath(new URL('../../../../helm/released-charts.json', import.meta.url));

interface ReleasedCharts {
  'todo-history': ChartRelease[];
}

export async function readReleases(): Promise<ChartRelease[]> {
  return (JSON.parse(await fs.readFile(releasedChartsPath, 'utf8')) as ReleasedCharts)['todo-history'];
}

/** One release a line, so that recording one adds a line. */
export async function writeReleases(releases: readonly ChartRelease[]): Promise<void> {
  const lines = releases.map((release) => `    ${JSON.stringify(release)}`);
  await fs.writeFile(releasedChartsPath, `{\n  "todo-history": [\n${lines.join(',\n')}\n  ]\n}\n`);
}

/** The key paths of `values` down to its leaves: scalars, lists and empty maps. */
export function valueKeys(values: unknown, prefix = ''): string[] {
  if (typeof values !== 'object' || values === null || Array.isArray(values) || Object.keys(values).length === 0) return [prefix];
  return Object.entries(values).flatMap(([key, value]) => valueKeys(value, prefix === '' ? key : `${prefix}.${key}`));
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)));
}

/**
 * The chart's version and the digest of what `helm package` puts in it (.helmignore applied, Chart.yaml as helm
 * writes it): a sha256 over each file's path and the sha256 of its content, in path order.
 */
export async function packagedChart(chartDir: string): Promise<ChartRelease> {
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'todo-history-chart-package-'));
  try {
    await runCommand(await ensureGoTool('helm'), ['package', chartDir, '--destination', work]);
    const [archive = ''] = (await fs.readdir(work)).filter((file) => file.endsWith('.tgz'));
    const unpacked = path.join(work, 'unpacked');
    await fs.mkdir(unpacked);
    await runCommand('tar', ['-xzf', path.join(work, archive), '-C', unpacked]);
    const root = path.join(unpacked, (await fs.readdir(unpacked))[0] ?? '');
    const digest = createHash('sha256');
    for (const file of (await filesUnder(root)).sort()) {
      const content = await fs.readFile(path.join(root, file));
      digest.update(`${file}\0${createHash('sha256').update(content).digest('hex')}\n`);
    }
    const { version } = parse(await fs.readFile(path.join(root, 'Chart.yaml'), 'utf8')) as { version: string };
    const values: unknown = parse(await fs.readFile(path.join(root, 'values.yaml'), 'utf8'));
    return { version, digest: `sha256:${digest.digest('hex')}`, valueKeys: valueKeys(values).sort() };
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}
