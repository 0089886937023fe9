import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Resvg } from '@resvg/resvg-js';
import { Kafka, logLevel, type Message } from 'kafkajs';
import { runCli, startCli } from '../cli-process.js';
import { startLocalServices } from '../services/local-services.js';
import { findFreePort, LOOPBACK_HOST } from '../system/free-port.js';
import { PrometheusServer } from './prometheus-server.js';
import { renderPanelsSvg, type RenderedPanel } from './render-panels.js';

/**
 * `npm run dashboard:snapshot`: the chart's Grafana dashboard drawn from a real run, for the README.
 * Starts Kafka, PostgreSQL, a consumer and a Prometheus of its own that scrapes it as Prometheus Operator
 * would (job, namespace, pod), feeds 300 events/s for three minutes with 200 malformed messages at 1:00
 * and a burst of 30,000 events at 1:40, then evaluates each consumer panel's own queries over the run and
 * draws them (Grafana itself is not installable here). The scaler row needs a cluster and is left out.
 */
const runSeconds = 180;
const scrapeSeconds = 2;
const job = 'history-todo-history';
const namespace = 'todo';
const output = fileURLToPath(new URL('../../../../helm/todo-history/dashboards/todo-history.png', import.meta.url));
const dashboardFile = fileURLToPath(new URL('../../../../helm/todo-history/dashboards/todo-history.json', import.meta.url));

interface DashboardPanel {
  type: string;
  title: string;
  fieldConfig?: { defaults?: { unit?: string } };
  targets?: { expr: string; legendFormat: string }[];
}

function todoEvent(index: number): Message {
  const group = `group-${index % 23}`;
  return {
    key: group,
    value: JSON.stringify({
      eventType: index % 3 === 0 ? 'created' : 'updated',
      timestamp: new Date().toISOString(),
      payload: { entity: 'Task', entityId: `task-${index % 311}`, groupId: group, groupName: `Group ${index % 23}`, taskId: `task-${index % 311}`, taskName: `Task ${index % 311}`, changes: `change #${index}`, user: `user-${index % 7}`, workspace: 'default' },
    }),
  };
}

/** The consumer row of the dashboard: every panel before the Scaler row. */
async function consumerPanels(): Promise<DashboardPanel[]> {
  const { panels } = JSON.parse(await fs.readFile(dashboardFile, 'utf8')) as { panels: DashboardPanel[] };
  const scalerRow = panels.findIndex((panel) => panel.type === 'row' && panel.title === 'Scaler');
  return panels.slice(0, scalerRow).filter((panel) => panel.type !== 'row');
}

function withVariables(expr: string): string {
  return expr.replaceAll('$namespace', namespace).replaceAll('$job', job).replaceAll('$__rate_interval', `${scrapeSeconds * 5}s`);
}

function legendOf(format: string, labels: Record<string, string>): string {
  return format.replace(/\{\{(\w+)\}\}/g, (_, label: string) => labels[label] ?? '');
}

const services = await startLocalServices();
const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'todo-history-snapshot-'));
const run = randomUUID().slice(0, 8);
const topic = `snapshot-${run}`;
const kafka = new Kafka({ clientId: 'todo-history-snapshot', brokers: services.kafkaBrokers.split(','), logLevel: logLevel.NOTHING });
const admin = kafka.admin();
const producer = kafka.producer();
await Promise.all([admin.connect(), producer.connect()]);
await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 3 }, { topic: `${topic}.dlq`, numPartitions: 1 }] });
const port = await findFreePort();
const env = { KAFKA_BROKERS: services.kafkaBrokers, DATABASE_URL: services.databaseUrl, KAFKA_TOPIC: topic, KAFKA_DLQ_TOPIC: `${topic}.dlq`, KAFKA_GROUP_ID: `snapshot-${run}`, HTTP_PORT: String(port) };
const migrated = await runCli(['migrate', 'latest'], env);
if (migrated.code !== 0) throw new Error(`migrate failed:\n${migrated.output}`);
const consumer = startCli(['consume'], env);
const prometheus = await PrometheusServer.start(dir, [{ address: `${LOOPBACK_HOST}:${port}`, labels: { job, namespace, pod: `${job}-0` } }], scrapeSeconds);
try {
  const from = Math.floor(Date.now() / 1000);
  let sent = 0;
  for (let second = 0; second < runSeconds; second += 1) {
    const started = Date.now();
    await producer.send({ topic, messages: Array.from({ length: 300 }, () => todoEvent(sent++)) });
    if (second === 60) await producer.send({ topic, messages: Array.from({ length: 200 }, (_, i) => ({ key: `bad-${i}`, value: '{"eventType": "created", "payload": {' })) });
    if (second === 100) for (let batch = 0; batch < 30; batch += 1) await producer.send({ topic, messages: Array.from({ length: 1_000 }, () => todoEvent(sent++)) });
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 1_000 - (Date.now() - started))));
  }
  const to = Math.floor(Date.now() / 1000);
  const panels: RenderedPanel[] = [];
  for (const panel of await consumerPanels()) {
    const series = [];
    for (const target of panel.targets ?? []) {
      for (const result of await prometheus.queryRange(withVariables(target.expr), from, to, scrapeSeconds)) {
        series.push({ legend: legendOf(target.legendFormat, result.metric), points: result.values.map(([time, value]) => [time, Number(value)] as const) });
      }
    }
    panels.push({ title: panel.title, unit: panel.fieldConfig?.defaults?.unit ?? 'short', series });
  }
  const svg = renderPanelsSvg(`todo-history — one consumer, ${runSeconds / 60} minutes at 300 events/s, 200 malformed at 1:00, 30,000 at once at 1:40`, panels, from, to);
  await fs.writeFile(output, new Resvg(svg, { font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } }).render().asPng());
  process.stdout.write(`${output}\n`);
} finally {
  consumer.child.kill('SIGTERM');
  await consumer.exited;
  await prometheus.stop();
  await Promise.all([admin.disconnect(), producer.disconnect()]);
  await services.stop();
  await fs.rm(dir, { recursive: true, force: true });
}
