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
