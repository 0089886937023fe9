import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCommand, runCommandForResult } from '../../deploy/local/system/run-command.js';
import { chartReadmePath, generateChartReadme } from '../../deploy/local/tools/chart-readme.js';
import { packagedChart, readReleases } from '../../deploy/local/tools/chart-release.js';
import { ensureChartTesting } from '../../deploy/local/tools/chart-testing.js';
import { chartVersionProblems, recordRelease } from '../../deploy/local/tools/chart-version-rule.js';
import { chartDir, helm, repoRoot } from '../support/kubernetes/helm-chart.js';

// The first run may build ct, helm-docs and helm from source and install yamllint and yamale.
const TOOL_BUILD_TIMEOUT_MS = 40 * 60_000;

/** `ct lint` with the repository's helm/ct.yaml, of the chart or of `charts`. */
async function ctLint(charts: readonly string[] = []): Promise<{ exitCode: number | null; output: string }> {
  const chartTesting = await ensureChartTesting();
  const args = ['lint', '--config', path.join('helm', 'ct.yaml'), ...charts.flatMap((chart) => ['--charts', chart])];
  const result = await runCommandForResult(chartTesting.ct, args, { cwd: repoRoot, env: { ...process.env, PATH: chartTesting.path, CT_CONFIG_DIR: chartTesting.configDir } });
  return { exitCode: result.exitCode, output: `${result.stdout}\n${result.stderr}` };
}

async function editFile(file: string, edit: (text: string) => string): Promise<void> {
  const text = await fs.readFile(file, 'utf8');
  const edited = edit(text);
  assert.notEqual(edited, text, `the edit changes ${file}`);
  await fs.writeFile(file, edited);
}

describe('Helm chart hygiene: ct lint, the version rule, the generated README, the packaged files', { timeout: TOOL_BUILD_TIMEOUT_MS }, () => {
  let scratch: string;
  /** A fresh copy of the chart to change. */
  const chartCopy = async (name: string): Promise<string> => {
    const copy = path.join(scratch, name, 'todo-history');
    await fs.cp(chartDir, copy, { recursive: true });
    return copy;
  };

  before(async () => {
    scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'todo-history-chart-hygiene-'));
  });

  after(async () => {
    await fs.rm(scratch, { recursive: true, force: true });
  });

  it('passes chart-testing\'s ct lint: Chart.yaml against its schema, yamllint, helm lint --strict with every ci/ values file', async () => {
    const { exitCode, output } = await ctLint();
    assert.equal(exitCode, 0, output);
    assert.match(output, /Validating helm\/todo-history\/Chart\.yaml\.\.\.\nValidation success/);
    const ciFiles = (await fs.readdir(path.join(chartDir, 'ci'))).filter((file) => file.endsWith('-values.yaml'));
    for (const file of ciFiles) assert.ok(output.includes(`Linting chart with values file "helm/todo-history/ci/${file}"`), file);
    assert.match(output, /All charts linted successfully/);
  });

  it('fails ct lint on what yamllint refuses', async () => {
    const copy = await chartCopy('yamllint');
    await editFile(path.join(copy, 'values.yaml'), (text) => text.replace('nameOverride: ""\n', 'nameOverride: ""   \n'));
    const { exitCode, output } = await ctLint([copy]);
    assert.notEqual(exitCode, 0, output);
    assert.match(output, /values\.yaml\n\s+\d+:\d+\s+error\s+trailing spaces\s+\(trailing-spaces\)/);
  });

  it('has the version and the packaged files recorded last in helm/released-charts.json', async () => {
    const current = await packagedChart(chartDir);
    assert.deepEqual(chartVersionProblems(current, await readReleases()), []);
  });

  it('fails the version rule when a file of the chart changes without a new version, and when a new version is not recorded', async () => {
    const released = await readReleases();
    const last = released.at(-1)?.version ?? '';
    const copy = await chartCopy('version-rule');
    await editFile(path.join(copy, 'values.yaml'), (text) => text.replace('# nameOverride -- ', '# nameOverride -- Changed: '));
    assert.deepEqual(chartVersionProblems(await packagedChart(copy), released), [
      `the chart's files changed since ${last} was released, and its version did not: raise version in Chart.yaml (the major for a change that can break an install or an upgrade), add its CHANGELOG.md entry, then run npm run chart:release`,
    ]);
    await editFile(path.join(copy, 'Chart.yaml'), (text) => text.replace(/^version: .*$/m, 'version: 99.0.0'));
    assert.deepEqual(chartVersionProblems(await packagedChart(copy), released), ['chart version 99.0.0 is not recorded as released: run npm run chart:release']);
  });

  it('refuses to record a version without a new major when a key of values.yaml is gone', async () => {
    const released = await readReleases();
    const last = released.at(-1)?.version ?? '';
    const [major = 0, minor = 0] = last.split('.').map(Number);
    const copy = await chartCopy('removed-key');
    await editFile(path.join(copy, 'values.yaml'), (text) => text.replace(/^# nameOverride -- .*\nnameOverride: ""\n/m, ''));
    await editFile(path.join(copy, 'Chart.yaml'), (text) => text.replace(/^version: .*$/m, `version: ${major}.${minor + 1}.0`));
    assert.match(String(recordRelease(await packagedChart(copy), released, new Set())), new RegExp(`^chart version ${major}\\.${minor + 1}\\.0 removes or renames value keys of ${last.replaceAll('.', '\\.')} \\(nameOverride\\)`));
    await editFile(path.join(copy, 'Chart.yaml'), (text) => text.replace(/^version: .*$/m, `version: ${major + 1}.0.0`));
    assert.ok(Array.isArray(recordRelease(await packagedChart(copy), released, new Set())));
  });

  it('has README.md as helm-docs generates it from values.yaml and README.md.gotmpl (npm run chart:readme)', async () => {
    assert.equal(await fs.readFile(chartReadmePath, 'utf8'), await generateChartReadme(), 'README.md is out of date: run npm run chart:readme');
  });

  it('generates another README when a description in values.yaml changes', async () => {
    const copy = await chartCopy('readme');
    await editFile(path.join(copy, 'values.yaml'), (text) => text.replace('# nameOverride -- ', '# nameOverride -- Changed: '));
    const readme = await generateChartReadme(copy);
    assert.notEqual(readme, await generateChartReadme());
    assert.match(readme, /^\| nameOverride \| string \| `""` \| Changed: /m);
  });

  it('packages README.md and CHANGELOG.md, which NOTES.txt points at, and neither ci/ nor README.md.gotmpl', async () => {
    const result = await helm(['package', chartDir, '--destination', scratch]);
    assert.equal(result.exitCode, 0, result.stderr);
    const [archive = ''] = (await fs.readdir(scratch)).filter((file) => file.endsWith('.tgz'));
    const { stdout } = await runCommand('tar', ['-tzf', path.join(scratch, archive)]);
    const files = stdout.trim().split('\n');
    assert.ok(files.includes('todo-history/README.md') && files.includes('todo-history/CHANGELOG.md'), files.join('\n'));
    assert.deepEqual(files.filter((file) => file.startsWith('todo-history/ci/') || file.endsWith('.gotmpl')), []);
    const notes = await fs.readFile(path.join(chartDir, 'templates', 'NOTES.txt'), 'utf8');
    const section = /the chart's README, "([^"]+)": helm show readme/.exec(notes)?.[1];
    assert.ok(section !== undefined, 'NOTES.txt names a section of the chart\'s README');
    assert.ok((await fs.readFile(chartReadmePath, 'utf8')).includes(`\n## ${section}\n`), `README.md has a section ${section}`);
  });
});
