import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureChartCrdFiles } from '../../deploy/local/tools/custom-resource-definitions.js';
import { waitFor } from '../../deploy/local/system/wait-for.js';
import { metricNamesIn } from '../support/exported-metrics.js';
import { todoEvents } from '../support/todo-event-stream.js';
import { CHART_DIR, helm, kubectl, setValues } from './support/cluster-commands.js';
import { readyPods } from './support/cluster-state.js';
import { installRelease, type TestRelease } from './support/release.js';

const PARTITIONS = 2;
const CRDS = ['servicemonitors.monitoring.coreos.com', 'prometheusrules.monitoring.coreos.com', 'scaledobjects.keda.sh'];

interface PrometheusRuleObject {
  spec: { groups: { name: string; rules: { alert: string; expr: string }[] }[] };
}

/** Names of the metric families a pod's /metrics declares (`# TYPE` lines: also those without a sample yet). */
async function exportedByPod(namespace: string, pod: string): Promise<Set<string>> {
  const script = "fetch('http://127.0.0.1:8080/metrics').then((r) => r.text()).then((t) => process.stdout.write(t))";
  const text = await kubectl('-n', namespace, 'exec', pod, '--', '/nodejs/bin/node', '-e', script);
  const names = new Set<string>();
  for (const [, name = '', type = ''] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(name);
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${name}${suffix}`);
  }
  return names;
}

/**
 * With Prometheus Operator's and KEDA's own CRDs in the cluster, the chart's ServiceMonitor, PrometheusRule,
 * dashboard ConfigMap and ScaledObject are accepted by the API server as rendered, and the alerts and
 * panels query only metric families the running consumer and scaler pods export.
 */
describe('the chart\'s monitoring objects on a real cluster', () => {
  let release: TestRelease;

  before(async () => {
    const crds = await ensureChartCrdFiles();
    for (const file of [crds.serviceMonitors, crds.prometheusRules, crds.scaledObjects]) await kubectl('apply', '--server-side', '-f', file);
    await kubectl('wait', '--for=condition=Established', '--timeout=60s', ...CRDS.map((crd) => `crd/${crd}`));
    release = await installRelease({
      partitions: PARTITIONS,
      existingSecret: true,
      values: { 'scaler.enabled': true, 'serviceMonitor.enabled': true, 'prometheusRule.enabled': true, 'grafanaDashboard.enabled': true },
    });
  });

  after(async () => {
    await release.remove();
    await kubectl('delete', ...CRDS.map((crd) => `crd/${crd}`), '--wait=false');
  });

  it('stores the PrometheusRule and the dashboard as the chart rendered them', async () => {
    const stored = JSON.parse(await kubectl('-n', release.namespace, 'get', 'prometheusrule', release.deployment, '-o', 'json')) as PrometheusRuleObject;
    assert.deepEqual(stored.spec.groups.map((group) => group.name), ['todo-history-consumer', 'todo-history-scaler']);
    assert.equal(stored.spec.groups.flatMap((group) => group.rules).length, 10, 'no rule was pruned by the CRD\'s schema');
    const dashboard = JSON.parse(await kubectl('-n', release.namespace, 'get', 'configmap', `${release.deployment}-dashboard`, '-o', 'json')) as { metadata: { labels: Record<string, string> }; data: Record<string, string> };
    assert.equal(dashboard.metadata.labels.grafana_dashboard, '1');
    const shipped = JSON.parse(await fs.readFile(path.join(CHART_DIR, 'dashboards', 'todo-history.json'), 'utf8')) as Record<string, unknown>;
    const storedDashboard = JSON.parse(dashboard.data['todo-history.json'] ?? '') as Record<string, unknown>;
    assert.match(String(storedDashboard['uid']), /^todo-history-[0-9a-f]{12}$/);
    assert.deepEqual(storedDashboard, { ...shipped, uid: storedDashboard['uid'], title: `todo-history ${release.namespace}/${release.name}` });
    await kubectl('-n', release.namespace, 'get', 'servicemonitor', release.deployment);
  });

  it('alerts and dashboard panels query only metrics the running pods export', async () => {
    await release.topics.produce(todoEvents(0, 100, release.namespace));
    await waitFor('the events to be stored', () => release.database.rowCount(), (rows) => rows === 100, { timeoutMs: 120_000, intervalMs: 1_000 });
    const [consumerPod = ''] = await readyPods(release.namespace, 'consumer');
    const [scalerPod = ''] = await readyPods(release.namespace, 'scaler');
    const exported = new Set([...(await exportedByPod(release.namespace, consumerPod)), ...(await exportedByPod(release.namespace, scalerPod))]);

    const rule = JSON.parse(await kubectl('-n', release.namespace, 'get', 'prometheusrule', release.deployment, '-o', 'json')) as PrometheusRuleObject;
    const dashboard = JSON.parse(await fs.readFile(path.join(CHART_DIR, 'dashboards', 'todo-history.json'), 'utf8')) as { panels: { targets?: { expr: string }[] }[] };
    const queried = [
      ...rule.spec.groups.flatMap((group) => group.rules.flatMap((alert) => metricNamesIn(alert.expr))),
      ...dashboard.panels.flatMap((panel) => (panel.targets ?? []).flatMap((target) => metricNamesIn(target.expr))),
    ];
    assert.ok(queried.length > 20);
    assert.deepEqual([...new Set(queried.filter((name) => !exported.has(name)))], []);
  });

  it('has the API server accept the ScaledObject against KEDA\'s CRD, strictly', async () => {
    const rendered = await helm('template', release.name, CHART_DIR, '--namespace', release.namespace, '--show-only', 'templates/keda-scaledobject.yaml', ...setValues({ 'image.repository': 'unused', 'auth.existingSecret': 'unused', 'keda.enabled': true, 'keda.minReplicas': 0, 'kafka.topic.partitions': PARTITIONS }));
    assert.equal(rendered.exitCode, 0, rendered.stderr);
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'todo-history-keda-'));
    try {
      await fs.writeFile(path.join(dir, 'scaledobject.yaml'), rendered.stdout);
      const applied = await kubectl('-n', release.namespace, 'apply', '--dry-run=server', '--validate=strict', '-f', path.join(dir, 'scaledobject.yaml'));
      assert.match(applied, /scaledobject\.keda\.sh\/history-todo-history created \(server dry run\)/);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
