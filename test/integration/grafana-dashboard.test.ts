import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { NAMESPACE, RELEASE, renderChart } from '../support/kubernetes/helm-chart.js';
import { findObject, type ConfigMap } from '../support/kubernetes/manifests.js';
import { exportedMetricNames, metricNamesIn } from '../support/exported-metrics.js';

// The first run may build helm from source.
const TOOL_BUILD_TIMEOUT_MS = 30 * 60_000;

interface Panel {
  type: string;
  title: string;
  datasource?: { uid: string };
  targets?: { expr: string }[];
}

interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: { name: string }[] };
}

const dashboardFile = new URL('../../../helm/todo-history/dashboards/todo-history.json', import.meta.url);

describe('Helm chart: the Grafana dashboard', { timeout: TOOL_BUILD_TIMEOUT_MS }, () => {
  it('ships dashboards/todo-history.json in a ConfigMap with the sidecar label, only when enabled', async () => {
    const set = { 'auth.databaseUrl': 'postgres://todo@db:5432/todo' };
    const without = await renderChart({ set });
    assert.equal(without.some((object) => object.kind === 'ConfigMap' && object.metadata.name.endsWith('-dashboard')), false);
    const objects = await renderChart({ set: { ...set, 'grafanaDashboard.enabled': 'true', 'grafanaDashboard.annotations.grafana_folder': 'Kafka' } });
    const configMap = findObject<ConfigMap>(objects, 'ConfigMap', `${RELEASE}-todo-history-dashboard`);
    assert.equal(configMap.metadata.labels?.grafana_dashboard, '1');
    assert.equal(configMap.metadata.annotations?.grafana_folder, 'Kafka');
    const shipped = JSON.parse(await readFile(dashboardFile, 'utf8')) as Dashboard;
    const rendered = JSON.parse(configMap.data?.['todo-history.json'] ?? '') as Dashboard;
    assert.deepEqual(rendered, { ...shipped, uid: rendered.uid, title: `todo-history ${NAMESPACE}/${RELEASE}` });
  });

  it('gives each release a dashboard uid and title of its own, the same at every upgrade', async () => {
    const dashboardOf = async (release: string, namespace: string, set: Record<string, string> = {}): Promise<Dashboard> => {
      const objects = await renderChart({ release, namespace, set: { 'auth.databaseUrl': 'postgres://todo@db:5432/todo', 'grafanaDashboard.enabled': 'true', ...set } });
      const configMap = objects.find((object): object is ConfigMap => object.kind === 'ConfigMap' && object.metadata.name.endsWith('-dashboard'));
      return JSON.parse(configMap?.data?.['todo-history.json'] ?? '') as Dashboard;
    };
    const [first, second, otherNamespace, upgraded] = await Promise.all([
      dashboardOf('history', 'todo'),
      dashboardOf('history-eu', 'todo'),
      dashboardOf('history', 'staging'),
      dashboardOf('history', 'todo', { 'kafka.topic.partitions': '12' }),
    ]);
    assert.equal(new Set([first.uid, second.uid, otherNamespace.uid]).size, 3, 'three releases, three uids');
    assert.equal(new Set([first.title, second.title, otherNamespace.title]).size, 3, 'and three titles');
    assert.equal(upgraded.uid, first.uid, 'an upgrade keeps the uid, and the links to the dashboard');
    for (const dashboard of [first, second, otherNamespace]) assert.ok(dashboard.uid.length <= 40, `${dashboard.uid} fits Grafana's 40 characters`);
  });

  it('has a panel for each thing an operator watches, each querying only metrics the code exports', async () => {
    const dashboard = JSON.parse(await readFile(dashboardFile, 'utf8')) as Dashboard;
    const exported = await exportedMetricNames();
    const panels = dashboard.panels.filter((panel) => panel.type !== 'row');
    assert.deepEqual(panels.map((panel) => panel.title), [
      'Throughput', 'Lag per partition', 'Dead letters by reason', 'Stuck partitions', 'Batch size', 'Write latency',
      'Retries and backoff', 'Timestamp fallbacks', 'Memory per pod', 'CPU per pod', 'Partitions and replicas', 'Leader, pause and errors',
    ]);
    for (const panel of panels) {
      const names = (panel.targets ?? []).flatMap((target) => metricNamesIn(target.expr));
      assert.ok(names.length > 0, `${panel.title} queries a metric`);
      assert.deepEqual(names.filter((name) => !exported.has(name)), [], `${panel.title} queries only exported metrics`);
      assert.equal(panel.datasource?.uid, '${datasource}', `${panel.title} uses the chosen data source`);
      for (const target of panel.targets ?? []) assert.match(target.expr, /namespace="\$namespace", job="\$job(-scaler)?"/, `${panel.title} is scoped to the chosen release`);
    }
    assert.deepEqual(dashboard.templating.list.map((variable) => variable.name), ['datasource', 'namespace', 'job']);
  });
});
