import { chartReadmePath, writeChartReadme } from './tools/chart-readme.js';

/** `npm run chart:readme`: regenerates the chart's README from values.yaml (helm-docs, built on first use). */
await writeChartReadme();
process.stdout.write(`${chartReadmePath}\n`);
