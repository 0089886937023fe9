import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCommand } from '../system/run-command.js';
import { ensureGoTool } from './go-tools.js';

export const chartDir = fileURLToPath(new URL('../../../../helm/todo-history', import.meta.url));
export const chartReadmePath = path.join(chartDir, 'README.md');

/** helm-docs' flags: the chart's README.md.gotmpl, the values in the order values.yaml has them. */
const helmDocsArgs = ['--chart-search-root', '.', '--template-files', 'README.md.gotmpl', '--sort-values-order', 'file', '--log-level', 'warning'];

/** The README helm-docs writes from the values.yaml, Chart.yaml and README.md.gotmpl of `chart` (nothing is written). */
export async function generateChartReadme(chart = chartDir): Promise<string> {
  const { stdout } = await runCommand(await ensureGoTool('helm-docs'), [...helmDocsArgs, '--dry-run'], { cwd: chart });
  return stdout;
}

/** Writes helm/todo-history/README.md. */
export async function writeChartReadme(): Promise<void> {
  await runCommand(await ensureGoTool('helm-docs'), helmDocsArgs, { cwd: chartDir });
}
