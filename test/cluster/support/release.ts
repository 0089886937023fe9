import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '../../support/test-database.js';
import { TestTopics } from '../../support/test-topics.js';
import { CHART_DIR, helm, kubectl, setValues } from './cluster-commands.js';
import { clusterSessionEnv } from './cluster-session-env.js';

const INSTALL_TIMEOUT = '5m';

/** One helm release of the chart in a namespace of its own, on its own topics and an empty database. */
export interface TestRelease {
  readonly name: string;
  readonly namespace: string;
  readonly database: TestDatabase;
  readonly topics: TestTopics;
  /** The consumer Deployment's name. */
  readonly deployment: string;
  /** Output of `helm install`, which fails unless the migration hook Job succeeded and every pod became Ready. */
  readonly installOutput: string;
  remove(): Promise<void>;
}

export interface ReleaseOptions {
  readonly partitions: number;
  /** Credentials from a Secret made before the install (true), or from values (false). */
  readonly existingSecret: boolean;
  readonly values?: Readonly<Record<string, string | number | boolean>>;
}

/** The database URL as a pod reaches it, without the password (the chart passes that separately). */
function podDatabaseUrl(database: TestDatabase): string {
  const url = new URL(database.url);
  url.hostname = clusterSessionEnv().nodeIp;
  url.password = '';
  return url.toString();
}

export async function installRelease(options: ReleaseOptions): Promise<TestRelease> {
  const session = clusterSessionEnv();
  const name = 'history';
  const namespace = `release-${randomUUID().slice(0, 8)}`;
  const database = await createTestDatabase({ migrated: false });
  const topics = new TestTopics();
  await topics.create(options.partitions);
  await kubectl('create', 'namespace', namespace);
  const password = new URL(database.url).password;
  const credentials: Record<string, string> = {};
  if (options.existingSecret) {
    const secret = `${name}-credentials`;
    await kubectl('-n', namespace, 'create', 'secret', 'generic', secret, `--from-literal=database-url=${podDatabaseUrl(database)}`, `--from-literal=database-password=${password}`);
    credentials['auth.existingSecret'] = secret;
  } else {
    credentials['auth.databaseUrl'] = podDatabaseUrl(database);
    credentials['auth.databasePassword'] = password;
  }
  const [repository = '', tag = ''] = session.image.split(/:(?=[^/:]+$)/);
  const install = await helm('install', name, CHART_DIR, '--namespace', namespace, '--wait', '--timeout', INSTALL_TIMEOUT, ...setValues({
    'image.repository': repository,
    'image.tag': tag,
    'image.pullPolicy': 'Never',
    'kafka.brokers': session.kafkaBrokers,
    'kafka.topic.name': topics.topic,
    'kafka.topic.partitions': options.partitions,
    'kafka.dlqTopic': topics.dlqTopic,
    'kafka.groupId': topics.groupId,
    ...credentials,
    ...options.values,
  }));
  const remove = async (): Promise<void> => {
    await helm('uninstall', name, '--namespace', namespace, '--wait', '--timeout', INSTALL_TIMEOUT);
    await kubectl('delete', 'namespace', namespace, '--wait=false');
    await topics.close();
    await database.drop();
  };
  if (install.exitCode !== 0) {
    const pods = await kubectl('-n', namespace, 'get', 'pods,jobs,events', '-o', 'wide').catch((error: unknown) => String(error));
    await remove().catch(() => undefined);
    throw new Error(`helm install failed (${String(install.exitCode)}):\n${install.stdout}\n${install.stderr}\n${pods}`);
  }
  return { name, namespace, database, topics, deployment: `${name}-todo-history`, installOutput: install.stdout, remove };
}
