import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import pg from 'pg';
import { runCommandForResult } from '../../deploy/local/system/run-command.js';
import { waitFor } from '../../deploy/local/system/wait-for.js';
import { CLUSTER_TESTED_BLOCKS, deploymentCommandBlocks, type DeploymentCommandBlock } from '../support/deployment-docs.js';
import { assertStoredExactlyOnce } from '../support/exactly-once.js';
import { findObject, parseManifests, type ConfigMap } from '../support/kubernetes/manifests.js';
import { createTestDatabase, serverUrl, type TestDatabase } from '../support/test-database.js';
import { brokers, TestTopics } from '../support/test-topics.js';
import { certificatePem } from '../support/tls-fixture.js';
import { todoEvents } from '../support/todo-event-stream.js';
import { kubectl } from './support/cluster-commands.js';
import { clusterSessionEnv } from './support/cluster-session-env.js';
import { deploymentState, readyPods } from './support/cluster-state.js';
import { createDevCheckout, type DevCheckout } from './support/dev-checkout.js';

/**
 * The deployment commands of the README (and of the docs its deploy section links), run as a user runs them:
 * each command of each marked block with bash, in a copy of the repository, with kubectl and helm on PATH and
 * the cluster's kubeconfig. Only what an offline machine forces is changed, and each change is listed here:
 * the text substitutions below, the `docker` stand-in, and the blocks marked `dry-run`, whose helm installs
 * and upgrades run with `--dry-run=server` instead.
 */

// What the README's commands name, and the chart defaults they rely on.
const NAMESPACE = 'todo';
const RELEASE = 'history';
const DEPLOYMENT = `${RELEASE}-todo-history`;
const PARTITIONS = 6;
const TOPIC = 'todo-history-events';
const GROUP = 'todo-consumer-group-go';
const README_IMAGE = 'registry.example.com/todo-history:0.1.0';
const EVENTS = 120;
const COMMAND_TIMEOUT_MS = 15 * 60_000;
const ROLLOUT_TIMEOUT_MS = 5 * 60_000;
/** Objects every namespace has, or that the user made rather than the chart: what `helm uninstall` leaves. */
const NOT_THE_RELEASES = new Set(['configmap/kube-root-ca.crt', 'serviceaccount/default', 'secret/todo-history-credentials', 'secret/rds-ca']);

interface Substitution {
  readonly from: string;
  readonly to: string;
  readonly why: string;
}

/** Every change made to the README's text before it runs. */
function substitutions(registry: string, database: string, kafkaBrokers: string): Substitution[] {
  return [
    { from: 'registry.example.com', to: registry, why: 'the example registry: the cluster pulls from its own registry inside the network namespace, the only one there is' },
    { from: 'todo_history@db.example:5432/todo_history', to: database, why: "the example database: a role and a database of this test on the session's PostgreSQL, at the node IP" },
    { from: 'kafka-0.kafka:9092,kafka-1.kafka:9092', to: kafkaBrokers, why: "the example brokers: the session's Kafka broker, at the node IP" },
  ];
}
/** Not substituted but stood in for: `docker` (test/cluster/support/docker-stand-in-cli.ts). */
const DOCKER_STAND_IN = 'no Docker daemon and no public base image: podman builds the Dockerfile on the stand-in base images and pushes to the cluster registry';
/** Why the `dry-run` blocks' helm installs and upgrades are only rendered by the API server, not applied. */
const DRY_RUN_REASON = 'the MSK brokers (SASL/SCRAM over TLS) and RDS with its CA cannot be reached from an offline machine';

const DIST_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The README's commands as bash runs them: from a copy of the repository, with kubectl, helm and docker on PATH. */
class UserShell {
  private constructor(readonly checkout: DevCheckout, private readonly env: NodeJS.ProcessEnv) {}

  static async create(): Promise<UserShell> {
    const session = clusterSessionEnv();
    const checkout = await createDevCheckout();
    const bin = path.join(checkout.directory, '.test-bin');
    await fs.mkdir(bin);
    await fs.symlink(session.kubectl, path.join(bin, 'kubectl'));
    await fs.symlink(session.helm, path.join(bin, 'helm'));
    await fs.writeFile(path.join(bin, 'docker'), `#!/bin/sh\nexec '${process.execPath}' '${path.join(DIST_ROOT, 'test/cluster/support/docker-stand-in-cli.js')}' "$@"\n`, { mode: 0o755 });
    const configDir = path.dirname(session.kubeconfig);
    return new UserShell(checkout, {
      ...process.env,
      PATH: `${bin}:${process.env['PATH'] ?? '/usr/bin:/bin'}`,
      KUBECONFIG: session.kubeconfig,
      HELM_CACHE_HOME: path.join(configDir, 'helm-cache'),
      HELM_CONFIG_HOME: path.join(configDir, 'helm-config'),
    });
  }

  async writeFile(name: string, content: string): Promise<void> {
    await fs.writeFile(path.join(this.checkout.directory, name), content, { mode: 0o600 });
  }

  /** Runs one command; fails the test with its output unless it exits 0. Resolves with its stdout. */
  async run(command: string): Promise<string> {
    const result = await runCommandForResult('bash', ['-c', command], { cwd: this.checkout.directory, env: this.env, timeoutMs: COMMAND_TIMEOUT_MS });
    assert.equal(result.exitCode, 0, `the README's command failed (exit ${String(result.exitCode)}): ${command}\n${result.stdout}\n${result.stderr}`);
    return result.stdout;
  }
}

/** The block's commands with the substitutions made; every substitution must still find its text in the documents. */
function substituted(block: DeploymentCommandBlock, changes: readonly Substitution[]): string[] {
  return block.commands.map((command) => changes.reduce((text, change) => text.replaceAll(change.from, change.to), command));
}

/** `helm install|upgrade …`, a command a `dry-run` block runs with `--dry-run=server`. */
const isHelmRelease = (command: string): boolean => /^helm (install|upgrade) /.test(command);

/** The objects in `helm … --dry-run` output: the hooks and the manifest, between HOOKS: and NOTES:. */
function dryRunObjects(output: string): ReturnType<typeof parseManifests> {
  const start = output.indexOf('\n---');
  const end = output.indexOf('\nNOTES:');
  assert.ok(start !== -1, `no manifest in the dry run's output:\n${output}`);
  return parseManifests(output.slice(start, end === -1 ? undefined : end).split('\n').filter((line) => line !== 'MANIFEST:').join('\n'));
}

async function dropRole(role: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl() });
  await client.connect();
  try {
    await client.query(`DROP ROLE IF EXISTS "${role}"`);
  } finally {
    await client.end();
  }
}

/** Every object in the namespace, as kind/name, but events and what is not the release's. */
async function releaseLeftovers(): Promise<string[]> {
  const kinds = (await kubectl('api-resources', '--verbs=list', '--namespaced', '-o', 'name')).split('\n').filter((kind) => kind !== '' && !/^events(\.|$)/.test(kind));
  const names = (await kubectl('-n', NAMESPACE, 'get', kinds.join(','), '-o', 'name', '--ignore-not-found')).split('\n');
  return names.filter((name) => name !== '' && !NOT_THE_RELEASES.has(name.replace(/^(\w+)\.[^/]+\//, '$1/')));
}

describe('the README\'s deployment commands, run on the cluster as written', () => {
  const session = clusterSessionEnv();
  const role = `readme_${randomBytes(4).toString('hex')}`;
  const password = randomBytes(16).toString('hex');
  let shell: UserShell;
  let database: TestDatabase;
  let topics: TestTopics;
  let blocks: Map<string, DeploymentCommandBlock>;
  let changes: Substitution[];

  before(async () => {
    const found = await deploymentCommandBlocks();
    assert.deepEqual(found.map((block) => block.marker), CLUSTER_TESTED_BLOCKS, 'every command block of the deployment docs is one this test runs');
    blocks = new Map(found.map((block) => [block.marker?.name ?? '', block]));
    database = await createTestDatabase({ migrated: false });
    await sql`CREATE ROLE ${sql.id(role)} LOGIN PASSWORD ${sql.lit(password)}`.execute(database.db);
    await sql`ALTER DATABASE ${sql.id(new URL(database.url).pathname.slice(1))} OWNER TO ${sql.id(role)}`.execute(database.db);
    const podDatabase = new URL(database.url);
    changes = substitutions(session.registry, `${role}@${session.nodeIp}:${podDatabase.port}${podDatabase.pathname}`, session.kafkaBrokers);
    const allCommands = found.flatMap((block) => block.commands).join('\n');
    for (const change of changes) assert.ok(allCommands.includes(change.from), `the substitution of "${change.from}" (${change.why}) finds nothing in the deployment docs: update it`);
    // What the README takes for granted: the todo application's topics exist, and the user holds the database password.
    topics = new TestTopics(brokers(), TOPIC, GROUP);
    await topics.create(PARTITIONS);
    shell = await UserShell.create();
    // Written as `printf %s`, without a newline: a Secret made with --from-file keeps every byte of the file.
    await shell.writeFile('database-password', password);
    await shell.writeFile('global-bundle.pem', certificatePem);
  });

  after(async () => {
    // A test that failed half way leaves the release: the namespace goes with whatever is in it.
    await kubectl('delete', 'namespace', NAMESPACE, '--ignore-not-found', '--wait', '--timeout=3m');
    await topics.close();
    await database.drop();
    await dropRole(role);
    await shell.checkout.remove();
  });

  it(`runs the install block: the image built and pushed, the release deployed, ${String(PARTITIONS)} consumers Ready, helm test passing (substitutions: the example registry, database and brokers; docker: ${DOCKER_STAND_IN})`, async () => {
    for (const command of substituted(blocks.get('install') as DeploymentCommandBlock, changes)) await shell.run(command);
    const status = JSON.parse(await shell.run(`helm status ${RELEASE} --namespace ${NAMESPACE} -o json`)) as { info: { status: string } };
    assert.equal(status.info.status, 'deployed');
    await waitFor('every consumer Ready', () => deploymentState(NAMESPACE, DEPLOYMENT), (state) => state.readyReplicas === PARTITIONS, { timeoutMs: ROLLOUT_TIMEOUT_MS, intervalMs: 2_000 });
    const images = await kubectl('-n', NAMESPACE, 'get', 'deployment', DEPLOYMENT, '-o', 'jsonpath={.spec.template.spec.containers[*].image}');
    assert.equal(images, README_IMAGE.replace('registry.example.com', session.registry));
  });

  it('stores every event produced into the topic as exactly one row, as the README\'s release runs', async () => {
    await topics.produce(todoEvents(0, EVENTS, 'readme'));
    await waitFor('every event to be stored', () => database.rowCount(), (rows) => rows >= EVENTS, { timeoutMs: 120_000, intervalMs: 500 });
    assert.equal(await assertStoredExactlyOnce(database, topics), EVENTS);
  });

  it(`runs the MSK example: its kubectl for real, its helm upgrade only as a server-side dry run, because ${DRY_RUN_REASON}`, async () => {
    const block = blocks.get('msk') as DeploymentCommandBlock;
    let rendered = 0;
    for (const command of substituted(block, changes)) {
      if (!isHelmRelease(command)) {
        await shell.run(command);
        continue;
      }
      const settings = findObject<ConfigMap>(dryRunObjects(await shell.run(`${command} --dry-run=server`)), 'ConfigMap', DEPLOYMENT).data ?? {};
      assert.deepEqual(
        [settings['KAFKA_BROKERS'], settings['KAFKA_SSL_ENABLED'], settings['KAFKA_SASL_MECHANISM'], settings['DATABASE_SSL_MODE'], settings['DATABASE_SSL_CA_FILE'], settings['KAFKA_TOPIC']],
        ['b-1.msk.example:9096,b-2.msk.example:9096', 'true', 'scram-sha-512', 'verify-full', '/etc/todo-history/database-ca/ca.crt', TOPIC],
        'the upgrade keeps the install\'s values (--reuse-values) under the MSK and RDS settings',
      );
      rendered++;
    }
    assert.equal(rendered, 1, 'the MSK example has one helm upgrade');
    assert.equal(await kubectl('-n', NAMESPACE, 'get', 'secret', 'rds-ca', '-o', 'jsonpath={.data.ca\\.crt}'), Buffer.from(certificatePem).toString('base64'));
    const history = JSON.parse(await shell.run(`helm history ${RELEASE} --namespace ${NAMESPACE} -o json`)) as unknown[];
    assert.equal(history.length, 1, 'the dry run changed nothing: the release is still at its first revision');
    assert.equal((await readyPods(NAMESPACE, 'consumer')).length, PARTITIONS);
  });

  it('runs the uninstall block: nothing of the release is left in the namespace, and the history stays', async () => {
    const installed = await releaseLeftovers();
    assert.ok(installed.includes(`deployment.apps/${DEPLOYMENT}`) && installed.includes(`configmap/${DEPLOYMENT}`), `the release's objects are seen before the uninstall: ${installed.join(', ')}`);
    for (const command of substituted(blocks.get('uninstall') as DeploymentCommandBlock, changes)) await shell.run(command);
    await waitFor('nothing of the release left in the namespace', releaseLeftovers, (left) => left.length === 0, { timeoutMs: 120_000, intervalMs: 1_000 });
    assert.equal(await database.rowCount(), EVENTS, 'the table and its rows stay');
  });
});
