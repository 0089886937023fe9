import { randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import { createTestDatabase, serverUrl, type TestDatabase } from '../../support/test-database.js';
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
  /** The URL the pods get, without the password, and the password: what no other pod may read. */
  readonly podDatabaseUrl: string;
  readonly databasePassword: string;
  /** The login role the pods use: the database's owner with ownDatabaseRole, else the test server's superuser. */
  readonly databaseRole: string;
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
  /** A login role of the release's own, owning its database, so that a test can change its password. */
  readonly ownDatabaseRole?: boolean;
}

/** image.repository and image.tag of an image reference. */
export function imageValues(reference: string): Record<string, string> {
  const [repository = '', tag = ''] = reference.split(/:(?=[^/:]+$)/);
  return { 'image.repository': repository, 'image.tag': tag };
}

async function onServer(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl() });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** A random password of hex digits, safe in a URL and in an SQL literal. */
export function randomPassword(): string {
  return randomBytes(16).toString('hex');
}

/** The database URL as a pod reaches it, without the password (the chart passes that separately). */
function podDatabaseUrl(database: TestDatabase, role: string): string {
  const url = new URL(database.url);
  url.username = role;
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
  let role = new URL(database.url).username;
  let password = new URL(database.url).password;
  if (options.ownDatabaseRole === true) {
    role = `release_${namespace.slice('release-'.length)}`;
    password = randomPassword();
    await sql`CREATE ROLE ${sql.id(role)} LOGIN PASSWORD ${sql.lit(password)}`.execute(database.db);
    await sql`ALTER DATABASE ${sql.id(new URL(database.url).pathname.slice(1))} OWNER TO ${sql.id(role)}`.execute(database.db);
  }
  await kubectl('create', 'namespace', namespace);
  const url = podDatabaseUrl(database, role);
  const credentials: Record<string, string> = {};
  if (options.existingSecret) {
    const secret = `${name}-credentials`;
    await kubectl('-n', namespace, 'create', 'secret', 'generic', secret, `--from-literal=database-url=${url}`, `--from-literal=database-password=${password}`);
    credentials['auth.existingSecret'] = secret;
  } else {
    credentials['auth.databaseUrl'] = url;
    credentials['auth.databasePassword'] = password;
  }
  const install = await helm('install', name, CHART_DIR, '--namespace', namespace, '--wait', '--timeout', INSTALL_TIMEOUT, ...setValues({
    ...imageValues(session.image),
    'image.pullPolicy': 'Never',
    'kafka.topic.name': topics.topic,
    'kafka.topic.partitions': options.partitions,
    'kafka.dlqTopic': topics.dlqTopic,
    'kafka.groupId': topics.groupId,
    ...credentials,
    ...options.values,
  }), '--set-json', `kafka.brokers=${JSON.stringify(session.kafkaBrokers.split(','))}`);
  const remove = async (): Promise<void> => {
    await helm('uninstall', name, '--namespace', namespace, '--wait', '--timeout', INSTALL_TIMEOUT);
    await kubectl('delete', 'namespace', namespace, '--wait=false');
    await topics.close();
    await database.drop();
    if (options.ownDatabaseRole === true) await onServer(`DROP ROLE IF EXISTS "${role}"`);
  };
  if (install.exitCode !== 0) {
    const pods = await kubectl('-n', namespace, 'get', 'pods,jobs,events', '-o', 'wide').catch((error: unknown) => String(error));
    await remove().catch(() => undefined);
    throw new Error(`helm install failed (${String(install.exitCode)}):\n${install.stdout}\n${install.stderr}\n${pods}`);
  }
  return { name, namespace, database, topics, podDatabaseUrl: url, databasePassword: password, databaseRole: role, deployment: `${name}-todo-history`, installOutput: install.stdout, remove };
}
