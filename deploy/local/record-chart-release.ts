import { runCommandForResult } from './system/run-command.js';
import { chartDir, writeChartReadme } from './tools/chart-readme.js';
import { packagedChart, readReleases, releasedChartsPath, writeReleases } from './tools/chart-release.js';
import { recordRelease, type ChartRelease } from './tools/chart-version-rule.js';

/** The versions main's helm/released-charts.json records (none before it had one); every recorded one without a main branch, so none is replaced. */
async function versionsOnMain(released: readonly ChartRelease[]): Promise<Set<string>> {
  const git = (...args: string[]) => runCommandForResult('git', args, { cwd: chartDir });
  if ((await git('rev-parse', '--verify', '--quiet', 'main')).exitCode !== 0) return new Set(released.map((release) => release.version));
  const { exitCode, stdout } = await git('show', 'main:helm/released-charts.json');
  if (exitCode !== 0) return new Set();
  return new Set((JSON.parse(stdout) as { 'todo-history': ChartRelease[] })['todo-history'].map((release) => release.version));
}

/**
 * `npm run chart:release`: regenerates the chart's README, then records the chart's version and the digest of its
 * packaged files in helm/released-charts.json, which CI checks the chart against (CHANGELOG.md, "Releasing").
 */
await writeChartReadme();
const current = await packagedChart(chartDir);
const released = await readReleases();
const recorded = recordRelease(current, released, await versionsOnMain(released));
if (typeof recorded === 'string') {
  process.stderr.write(`${recorded}\n`);
  process.exit(1);
}
await writeReleases(recorded);
process.stdout.write(`todo-history ${current.version} ${current.digest} recorded in ${releasedChartsPath}\n`);
