import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { startCli, type CliProcess } from '../../deploy/local/cli-process.js';
import { findFreePort } from '../../deploy/local/system/free-port.js';
import { runCommandForResult } from '../../deploy/local/system/run-command.js';
import { waitFor } from '../../deploy/local/system/wait-for.js';
import { ensureGoTool } from '../../deploy/local/tools/go-tools.js';
import { NAMESPACE, RELEASE, renderChart } from '../support/kubernetes/helm-chart.js';
import { findObject, type KubeObject } from '../support/kubernetes/manifests.js';
import { exportedMetricNames, metricNamesIn } from '../support/exported-metrics.js';
import { getProbe } from '../support/probes.js';
import { parseExposition, seriesNotation } from '../support/prometheus-exposition.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { TestTopics } from '../support/test-topics.js';
import { todoEvents } from '../support/todo-event-stream.js';

// The first run may build promtool (and helm) from source.
const TOOL_BUILD_TIMEOUT_MS = 40 * 60_000;
const FULLNAME = `${RELEASE}-todo-history`;
const scrapeIntervalMs = 1_000;
/** The "Alerts" section of docs/operations.md, as a user sets prometheusRule.runbookUrl (helm/todo-history/ci/everything-values.yaml). */
const RUNBOOK_URL = 'https://git.example/todo-history/blob/main/docs/operations.md#alerts';

interface AlertRule {
  alert: string;
  expr: string;
  for: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

interface PrometheusRule extends KubeObject {
  spec: { groups: { name: string; rules: AlertRule[] }[] };
}

/** The chart's PrometheusRule with `set` on top of prometheusRule.enabled (and the scaler's group). */
async function renderRules(set: Record<string, string> = {}): Promise<PrometheusRule> {
  const objects = await renderChart({ set: { 'auth.databaseUrl': 'postgres://todo@db:5432/todo', 'prometheusRule.enabled': 'true', 'scaler.enabled': 'true', ...set } });
  return findObject<PrometheusRule>(objects, 'PrometheusRule', FULLNAME);
}

async function promtool(args: string[], cwd: string): Promise<{ exitCode: number | null; output: string }> {
  const result = await runCommandForResult(await ensureGoTool('promtool'), args, { cwd });
  return { exitCode: result.exitCode, output: `${result.stdout}${result.stderr}` };
}

/** The annotations promtool expands for an alert with these labels (the chart's use only $labels). */
function expandAnnotations(rule: AlertRule, labels: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(rule.annotations).map(([name, text]) => [name, text.replace(/\{\{ \$labels\.(\w+) \}\}/g, (_, label: string) => labels[label] ?? '')]));
}

describe('Helm chart: the PrometheusRule', { timeout: TOOL_BUILD_TIMEOUT_MS }, () => {
  it('passes promtool check rules, every alert with a summary, a description and a runbook section in docs/operations.md', async () => {
    const rule = await renderRules({ 'prometheusRule.runbookUrl': RUNBOOK_URL });
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'todo-history-rules-'));
    try {
      await fs.writeFile(path.join(dir, 'rules.yaml'), stringify(rule.spec));
      const checked = await promtool(['check', 'rules', 'rules.yaml'], dir);
      assert.equal(checked.exitCode, 0, checked.output);
      assert.match(checked.output, /SUCCESS: 10 rules found/);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
    const runbooks = await fs.readFile(new URL('../../../docs/operations.md', import.meta.url), 'utf8');
    for (const alert of rule.spec.groups.flatMap((group) => group.rules)) {
      assert.ok(alert.annotations.summary !== undefined && alert.annotations.description !== undefined, alert.alert);
      const anchor = `alerts-${alert.alert.toLowerCase()}`;
      assert.equal(alert.annotations.runbook_url, `${RUNBOOK_URL}-${alert.alert.toLowerCase()}`);
      // The runbook_url's fragment is the anchor right before the alert's section.
      assert.ok(runbooks.includes(`<a id="${anchor}"></a>\n\n#### ${alert.alert}\n`), `docs/operations.md has a runbook section for ${alert.alert} with the anchor ${anchor}`);
    }
  });

  it('queries only metrics the consumer and the scaler export', async () => {
    const exported = await exportedMetricNames();
    const rule = await renderRules();
    const used = rule.spec.groups.flatMap((group) => group.rules.flatMap((alert) => metricNamesIn(alert.expr)));
    assert.ok(used.length >= 10);
    assert.deepEqual(used.filter((name) => !exported.has(name)), []);
  });

  it('leaves the scaler group out without the scaler, and an alert out when it is disabled', async () => {
    const rule = await renderRules({ 'scaler.enabled': 'false', 'prometheusRule.alerts.deadLetters.enabled': 'false' });
    assert.deepEqual(rule.spec.groups.map((group) => group.name), ['todo-history-consumer']);
    assert.deepEqual(rule.spec.groups[0]?.rules.map((alert) => alert.alert), ['TodoHistoryConsumerDown', 'TodoHistoryLagGrowing', 'TodoHistoryPartitionStuck', 'TodoHistoryPartitionBlocked', 'TodoHistoryRecordsLost', 'TodoHistoryStoreRetries']);
  });
});

/**
 * The consumer's /metrics scraped every second through a real run, as Prometheus would scrape its pod
 * (labels job, namespace, pod; `up` 0 when a scrape fails): healthy with a few bad messages, then with
 * PostgreSQL unreachable while events keep coming, then killed.
 */
describe('the PrometheusRule evaluated by promtool on the metrics of a real consumer run', { timeout: TOOL_BUILD_TIMEOUT_MS }, () => {
  let database: TestDatabase;
  let topics: TestTopics;
  let proxy: TcpProxy;
  let consumer: CliProcess;
  const scrapes: (string | null)[] = [];
  const phase = { outageFrom: 8, killedFrom: 20, end: 25 };

  async function scrape(port: number): Promise<string | null> {
    try {
      const answer = await getProbe(port, '/metrics');
      return answer.status === 200 ? answer.body : null;
    } catch {
      return null;
    }
  }

  before(async () => {
    database = await createTestDatabase();
    topics = new TestTopics();
    await topics.create(3);
    proxy = await TcpProxy.start(Number(new URL(database.url).port));
    const port = await findFreePort();
    const url = new URL(database.url);
    url.port = String(proxy.port);
    consumer = startCli(['consume'], {
      ...topics.consumerEnv(),
      DATABASE_URL: url.toString(),
      HTTP_PORT: String(port),
      STUCK_PARTITION_TIMEOUT_MS: '3000',
      RETRY_INITIAL_DELAY_MS: '200',
      RETRY_MAX_DELAY_MS: '1000',
      LAG_POLL_INTERVAL_MS: '500',
      DATABASE_CONNECT_TIMEOUT_MS: '1000',
    });
    await waitFor('the consumer to be ready', () => getProbe(port, '/readyz'), (probe) => probe.status === 200, { timeoutMs: 60_000 });
    const started = Date.now();
    for (let index = 0; index < phase.end; index += 1) {
      if (index === 1) await topics.produce(todoEvents(0, 300));
      if (index === 3) await topics.produce([1, 2, 3, 4, 5].map((n) => ({ key: `bad-${n}`, value: '{"eventType": "created", "payload": {' })));
      if (index === phase.outageFrom) await proxy.cut();
      if (index > phase.outageFrom && index < phase.killedFrom) await topics.produce(todoEvents(1_000 + index * 50, 50));
      if (index === phase.killedFrom) {
        consumer.child.kill('SIGKILL');
        await consumer.exited;
      }
      scrapes.push(await scrape(port));
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, started + (index + 1) * scrapeIntervalMs - Date.now())));
    }
  });

  after(async () => {
    consumer.child.kill('SIGKILL');
    await proxy.close();
    await topics.close();
    await database.drop();
  });

  /** The scrapes as promtool input series: one value per scrape, `_` where a series was absent. */
  function inputSeries(): { series: string; values: string }[] {
    const target = { job: FULLNAME, namespace: NAMESPACE, pod: `${FULLNAME}-0` };
    const byKey = new Map<string, (number | undefined)[]>();
    scrapes.forEach((text, index) => {
      const samples = text === null ? [] : parseExposition(text).filter((sample) => sample.name.startsWith('todo_history_'));
      samples.push({ name: 'up', labels: {}, value: text === null ? 0 : 1 });
      for (const sample of samples) {
        const key = seriesNotation(sample.name, { ...sample.labels, ...target });
        const values = byKey.get(key) ?? Array<number | undefined>(scrapes.length).fill(undefined);
        values[index] = sample.value;
        byKey.set(key, values);
      }
    });
    return [...byKey].map(([series, values]) => ({ series, values: values.map((value) => (value === undefined ? '_' : String(value))).join(' ') }));
  }

  /** The value of a series at a scrape, from the data itself. */
  function sampleAt(index: number, name: string, labels: Record<string, string>): number | undefined {
    const text = scrapes[index];
    if (text === null || text === undefined) return undefined;
    return parseExposition(text).find((sample) => sample.name === name && Object.entries(labels).every(([label, value]) => sample.labels[label] === value))?.value;
  }

  it('fires each consumer alert when, and only when, the run gave it cause', async () => {
    assert.equal(scrapes.slice(0, phase.killedFrom).filter((text) => text === null).length, 0, 'the consumer answered every scrape while it ran');
    const rule = await renderRules({
      // Wider than the consumer's retry cadence in this run (a failed batch is fetched again about every 5 s).
      'prometheusRule.rateWindow': '10s',
      'prometheusRule.alerts.consumerDown.for': '3s',
      'prometheusRule.alerts.lagGrowing.for': '3s',
      'prometheusRule.alerts.lagGrowing.minMessages': '10',
      'prometheusRule.alerts.partitionStuck.for': '1s',
      'prometheusRule.alerts.deadLetters.for': '0s',
      'prometheusRule.alerts.deadLetters.perSecond': '0',
      'prometheusRule.alerts.storeRetries.for': '2s',
    });
    const consumerRules = rule.spec.groups.find((group) => group.name === 'todo-history-consumer')?.rules ?? [];
    const ruleOf = (alert: string): AlertRule => {
      const found = consumerRules.find((candidate) => candidate.alert === alert);
      assert.ok(found, alert);
      return found;
    };
    /** The alerts `alert` fires, one per label set of its own (none: one alert with only the rule's labels). */
    const firing = (alert: string, ...labelSets: Record<string, string>[]) =>
      (labelSets.length === 0 ? [{}] : labelSets).map((labels) => {
        const all = { ...ruleOf(alert).labels, ...labels };
        return { exp_labels: all, exp_annotations: expandAnnotations(ruleOf(alert), all) };
      });

    const healthyEnd = phase.outageFrom - 1;
    const outageEnd = phase.killedFrom - 1;
    const firstDeadLetter = scrapes.findIndex((_, index) => (sampleAt(index, 'todo_history_dead_lettered_total', { reason: 'invalid_json' }) ?? 0) > 0);
    assert.ok(firstDeadLetter > 0 && firstDeadLetter < healthyEnd, `the bad messages were dead-lettered while healthy (scrape ${firstDeadLetter})`);
    const stuck = ['0', '1', '2'].filter((partition) => [outageEnd - 1, outageEnd].every((index) => sampleAt(index, 'todo_history_partition_stuck', { partition }) === 1));
    assert.ok(stuck.length > 0, 'the outage left partitions stuck');

    const tests = {
      rule_files: ['rules.yaml'],
      evaluation_interval: '1s',
      tests: [
        {
          interval: '1s',
          input_series: inputSeries(),
          alert_rule_test: [
            ...['TodoHistoryConsumerDown', 'TodoHistoryLagGrowing', 'TodoHistoryPartitionStuck', 'TodoHistoryStoreRetries'].map((alertname) => ({ eval_time: `${healthyEnd}s`, alertname, exp_alerts: [] })),
            // Neither an outage nor a crash is a blocked partition or a loss.
            ...['TodoHistoryPartitionBlocked', 'TodoHistoryRecordsLost'].flatMap((alertname) => [healthyEnd, outageEnd, phase.end - 1].map((at) => ({ eval_time: `${at}s`, alertname, exp_alerts: [] }))),
            { eval_time: `${firstDeadLetter + 1}s`, alertname: 'TodoHistoryDeadLetters', exp_alerts: firing('TodoHistoryDeadLetters', { reason: 'invalid_json' }) },
            { eval_time: `${outageEnd}s`, alertname: 'TodoHistoryDeadLetters', exp_alerts: [] },
            { eval_time: `${outageEnd}s`, alertname: 'TodoHistoryPartitionStuck', exp_alerts: firing('TodoHistoryPartitionStuck', ...stuck.map((partition) => ({ partition }))) },
            { eval_time: `${outageEnd}s`, alertname: 'TodoHistoryStoreRetries', exp_alerts: firing('TodoHistoryStoreRetries') },
            { eval_time: `${outageEnd}s`, alertname: 'TodoHistoryLagGrowing', exp_alerts: firing('TodoHistoryLagGrowing') },
            { eval_time: `${outageEnd}s`, alertname: 'TodoHistoryConsumerDown', exp_alerts: [] },
            { eval_time: `${phase.end - 1}s`, alertname: 'TodoHistoryConsumerDown', exp_alerts: firing('TodoHistoryConsumerDown') },
          ],
        },
      ],
    };
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'todo-history-rules-'));
    try {
      await fs.writeFile(path.join(dir, 'rules.yaml'), stringify({ groups: rule.spec.groups.filter((group) => group.name === 'todo-history-consumer') }));
      await fs.writeFile(path.join(dir, 'tests.yaml'), stringify(tests));
      const result = await promtool(['test', 'rules', 'tests.yaml'], dir);
      assert.equal(result.exitCode, 0, result.output);
      assert.match(result.output, /SUCCESS/);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
