import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { helmTemplate, RELEASE, renderChart } from '../support/kubernetes/helm-chart.js';
import { findObject, type Deployment, type Job, type KubeObject } from '../support/kubernetes/manifests.js';

// The first run may build helm from source.
const TOOL_BUILD_TIMEOUT_MS = 30 * 60_000;
const FULLNAME = `${RELEASE}-todo-history`;
const valuesFiles = ['ci/defaults-values.yaml'];

const envOf = (pod: { containers: { env?: { name: string; value?: string }[] }[] }): Record<string, string | undefined> =>
  Object.fromEntries((pod.containers[0]?.env ?? []).map((entry) => [entry.name, entry.value]));
const policyEnv = (env: Record<string, string | undefined>): Record<string, string | undefined> =>
  Object.fromEntries(Object.entries(env).filter(([name]) => name.startsWith('TIMESCALEDB_')));
const consumer = (objects: readonly KubeObject[]): Deployment => findObject<Deployment>(objects, 'Deployment', FULLNAME);

describe('Helm chart: TimescaleDB compression and retention values', { timeout: TOOL_BUILD_TIMEOUT_MS }, () => {
  it('hands them to the migration Job only, so that changing one rolls no consumer pod', async () => {
    const off = await renderChart({ valuesFiles });
    const on = await renderChart({ valuesFiles, set: { 'timescaledb.compressAfterDays': '7', 'timescaledb.dropRawAfterDays': '90', 'timescaledb.summaryRefreshDays': '30' } });
    assert.deepEqual(policyEnv(envOf(findObject<Job>(off, 'Job', `${FULLNAME}-migrate`).spec.template.spec)), {
      TIMESCALEDB_COMPRESS_AFTER_DAYS: '0', TIMESCALEDB_DROP_RAW_AFTER_DAYS: '0', TIMESCALEDB_SUMMARY_REFRESH_DAYS: '0',
    });
    assert.deepEqual(policyEnv(envOf(findObject<Job>(on, 'Job', `${FULLNAME}-migrate`).spec.template.spec)), {
      TIMESCALEDB_COMPRESS_AFTER_DAYS: '7', TIMESCALEDB_DROP_RAW_AFTER_DAYS: '90', TIMESCALEDB_SUMMARY_REFRESH_DAYS: '30',
    });
    assert.deepEqual(consumer(on).spec.template, consumer(off).spec.template);
    assert.deepEqual(policyEnv(envOf(consumer(on).spec.template.spec)), {});
  });

  it('refuses, at helm install, the combinations the application refuses', async () => {
    const rejected = async (set: Record<string, string>, expected: RegExp): Promise<void> => {
      const result = await helmTemplate({ valuesFiles, set });
      assert.equal(result.exitCode, 1, `${JSON.stringify(set)} was accepted`);
      assert.match(result.stderr, expected);
    };
    await rejected({ 'timescaledb.dropRawAfterDays': '90' }, /timescaledb.dropRawAfterDays \(90\) needs timescaledb.summaryRefreshDays from 3 to 89/);
    await rejected({ 'timescaledb.dropRawAfterDays': '90', 'timescaledb.summaryRefreshDays': '90' }, /needs timescaledb.summaryRefreshDays from 3 to 89/);
    await rejected({ 'timescaledb.dropRawAfterDays': '3', 'timescaledb.summaryRefreshDays': '3' }, /timescaledb.dropRawAfterDays must be 0 \(rows kept for ever\) or more than 3/);
    await rejected({ 'timescaledb.summaryRefreshDays': '2' }, /timescaledb.summaryRefreshDays must be 0 \(the whole history\) or at least 3/);
    await rejected({ 'timescaledb.compressAfterDays': '90', 'timescaledb.dropRawAfterDays': '90', 'timescaledb.summaryRefreshDays': '30' }, /compressAfterDays must be less than timescaledb.dropRawAfterDays/);
    await rejected({ 'database.timescaledb': 'off', 'timescaledb.compressAfterDays': '7' }, /must be 0 with database.timescaledb off/);
    await rejected({ 'timescaledb.compressAfterDays': '-1' }, /at '\/timescaledb\/compressAfterDays': minimum: got -1, want 0/);
  });
});
