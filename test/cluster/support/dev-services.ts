import { waitFor } from '../../../deploy/local/system/wait-for.js';
import { kubectl } from './cluster-commands.js';

/** What deploy/k8s runs, as the cluster tests reach it: through `kubectl exec`, since only pods resolve its names. */
const EVENTS_TOPIC = 'todo-history-events';
/** Keeps one `kubectl exec` request well below the API server's URL limits. */
const EVENTS_PER_EXEC = 50;

/** Produces each value as one message of the events topic, with Kafka's console producer in the broker's pod. */
export async function produceEvents(namespace: string, values: readonly string[]): Promise<void> {
  for (let start = 0; start < values.length; start += EVENTS_PER_EXEC) {
    const batch = values.slice(start, start + EVENTS_PER_EXEC);
    if (batch.some((value) => value.includes('\n'))) throw new Error('the console producer sends one message per line: values must be single-line');
    await kubectl('-n', namespace, 'exec', 'kafka-0', '-c', 'kafka', '--', '/bin/sh', '-c',
      `printf '%s\\n' "$@" | /opt/kafka/bin/kafka-console-producer.sh --bootstrap-server localhost:9092 --topic ${EVENTS_TOPIC}`, 'produce', ...batch);
  }
}

export interface StoredRows {
  readonly rows: number;
  /** Rows with distinct Kafka coordinates: equal to rows when no event was stored twice. */
  readonly distinctOffsets: number;
}

/** Counts the rows in the development database, with psql in its pod. */
export async function storedRows(namespace: string): Promise<StoredRows> {
  const out = await kubectl('-n', namespace, 'exec', 'timescaledb-0', '--', 'psql', '--username=postgres', '--dbname=todo_history', '--tuples-only', '--no-align', '--field-separator=,',
    '--command=SELECT count(*), count(DISTINCT (kafka_topic, kafka_partition, kafka_offset)) FROM todo_event_logs');
  const [rows = 'NaN', distinctOffsets = 'NaN'] = out.trim().split(',');
  return { rows: Number(rows), distinctOffsets: Number(distinctOffsets) };
}

/** The output of `todo-history logs ARGS...` run in a pod of the consumer Deployment, with the pod's own configuration. */
export function historyLogs(namespace: string, deployment: string, ...args: string[]): Promise<string> {
  return kubectl('-n', namespace, 'exec', `deployment/${deployment}`, '-c', 'consumer', '--', '/nodejs/bin/node', 'dist/src/cli.js', 'logs', ...args);
}

export interface Hypertable {
  /** Whether TimescaleDB lists todo_event_logs among its hypertables. */
  readonly isHypertable: boolean;
  /** The table's chunks, which hold its rows. */
  readonly chunks: number;
}

/** What TimescaleDB says of todo_event_logs in the development database (fails where TimescaleDB is not installed). */
export async function eventLogsHypertable(namespace: string): Promise<Hypertable> {
  const out = await kubectl('-n', namespace, 'exec', 'timescaledb-0', '--', 'psql', '--username=postgres', '--dbname=todo_history', '--tuples-only', '--no-align', '--field-separator=,', '--set=ON_ERROR_STOP=1',
    "--command=SELECT (SELECT count(*) FROM timescaledb_information.hypertables WHERE hypertable_name = 'todo_event_logs'), (SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_name = 'todo_event_logs')");
  const [hypertables = 'NaN', chunks = 'NaN'] = out.trim().split(',');
  return { isHypertable: Number(hypertables) === 1, chunks: Number(chunks) };
}

const CLIENT_POD = 'kafka-client';
const CLIENT_TIMEOUT_MS = 3 * 60_000;

/**
 * `kafka-topics.sh --describe` of the events topic, run in a pod of `clientNamespace` on the broker's own image,
 * bootstrapping from the stack's Service by its fully qualified name: the admin client then talks to the address
 * the broker advertises, so this answers only when that address resolves from another namespace.
 */
export async function describeEventsTopicFrom(clientNamespace: string, stackNamespace: string): Promise<string> {
  const image = await kubectl('-n', stackNamespace, 'get', 'pod', 'kafka-0', '-o', 'jsonpath={.spec.containers[?(@.name=="kafka")].image}');
  await kubectl('-n', clientNamespace, 'run', CLIENT_POD, `--image=${image}`, '--restart=Never', '--env=KAFKA_HEAP_OPTS=-Xmx128m', '--command', '--',
    '/opt/kafka/bin/kafka-topics.sh', '--bootstrap-server', `kafka.${stackNamespace}.svc.cluster.local:9092`, '--describe', '--topic', EVENTS_TOPIC);
  const phase = await waitFor(`${CLIENT_POD} in ${clientNamespace} to finish`, () => kubectl('-n', clientNamespace, 'get', 'pod', CLIENT_POD, '-o', 'jsonpath={.status.phase}'),
    (current) => current === 'Succeeded' || current === 'Failed', { timeoutMs: CLIENT_TIMEOUT_MS, intervalMs: 2_000 });
  const output = await kubectl('-n', clientNamespace, 'logs', CLIENT_POD);
  if (phase !== 'Succeeded') throw new Error(`kafka-topics.sh --describe from ${clientNamespace} failed: ${output}`);
  return output;
}
