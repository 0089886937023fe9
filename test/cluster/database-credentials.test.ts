import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { waitFor } from '../../deploy/local/system/wait-for.js';
import { assertStoredExactlyOnce } from '../support/exactly-once.js';
import { todoEvents } from '../support/todo-event-stream.js';
import { CHART_DIR, helm, kubectl, setValues } from './support/cluster-commands.js';
import { podStates, readyPods } from './support/cluster-state.js';
import { installRelease, randomPassword, type TestRelease } from './support/release.js';

const PARTITIONS = 2;
const EVENTS = 200;
const CREDENTIALS_DIR = '/var/run/secrets/todo-history';
const SETTLE_TIMEOUT_MS = 120_000;

/** What a process in the pod sees: every file under the credentials directory with its content, and its environment. */
interface CredentialView {
  readonly files: Record<string, string>;
  readonly env: Record<string, string>;
}

/** Run with the image's node (distroless: no shell); a Secret volume's entries are symlinks into a dated directory. */
const VIEW_SCRIPT = `
const fs = require("node:fs");
const path = require("node:path");
const files = {};
const walk = (dir) => {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(file);
    else if (fs.statSync(file).isFile()) files[file] = fs.readFileSync(file, "utf8");
  }
};
try { walk(${JSON.stringify(CREDENTIALS_DIR)}); } catch (error) { if (error.code !== "ENOENT") throw error; }
process.stdout.write(JSON.stringify({ files, env: process.env }));
`;

async function credentialView(namespace: string, pod: string): Promise<CredentialView> {
  return JSON.parse(await kubectl('-n', namespace, 'exec', pod, '--', '/nodejs/bin/node', '-e', VIEW_SCRIPT)) as CredentialView;
}

/** The places (file paths, variable names) in `view` whose value contains `secret`. */
function holding(view: CredentialView, secret: string): string[] {
  return [...Object.entries(view.files), ...Object.entries(view.env)].filter(([, value]) => value.includes(secret)).map(([place]) => place);
}

/** Whether `secret` is in the Secret volume's file for `key` and nowhere but in that volume (the kubelet's dated copy). */
function onlyInCredentialFile(view: CredentialView, secret: string, key: string): boolean {
  const places = holding(view, secret);
  return places.includes(`${CREDENTIALS_DIR}/${key}`) && places.every((place) => place.startsWith(`${CREDENTIALS_DIR}/`));
}

describe('database credentials of a chart-created Secret, mounted as files, with the scaler enabled', () => {
  let release: TestRelease;
  before(async () => {
    release = await installRelease({
      partitions: PARTITIONS,
      existingSecret: false,
      ownDatabaseRole: true,
      values: { 'scaler.enabled': true, 'scaler.replicaCount': 1, 'auth.mountAsFiles': true },
    });
  });
  after(async () => {
    await release.remove();
  });

  const consumerChecksum = async (): Promise<string> => {
    const deployment = JSON.parse(await kubectl('-n', release.namespace, 'get', 'deployment', release.deployment, '-o', 'json')) as {
      spec: { template: { metadata: { annotations?: Record<string, string> } } };
    };
    return deployment.spec.template.metadata.annotations?.['checksum/secret'] ?? '';
  };

  it('gives them to the consumer and not to the scaler', async () => {
    const [consumer = ''] = await readyPods(release.namespace, 'consumer');
    const [scaler = ''] = await waitFor('a Ready scaler', () => readyPods(release.namespace, 'scaler'), (pods) => pods.length > 0, { timeoutMs: SETTLE_TIMEOUT_MS, intervalMs: 500 });
    const consumerView = await credentialView(release.namespace, consumer);
    assert.ok(onlyInCredentialFile(consumerView, release.databasePassword, 'database-password'), `the consumer's password file: ${holding(consumerView, release.databasePassword).join(', ')}`);
    assert.ok(onlyInCredentialFile(consumerView, release.podDatabaseUrl, 'database-url'), `the consumer's URL file: ${holding(consumerView, release.podDatabaseUrl).join(', ')}`);
    assert.equal(consumerView.env.DATABASE_PASSWORD_FILE, `${CREDENTIALS_DIR}/database-password`);

    const scalerView = await credentialView(release.namespace, scaler);
    assert.deepEqual(Object.keys(scalerView.files), [], `no credential file in ${scaler}`);
    assert.deepEqual(holding(scalerView, release.databasePassword), [], 'no variable of the scaler holds the password');
    assert.deepEqual(holding(scalerView, release.podDatabaseUrl), [], 'no variable of the scaler holds the database URL');
    assert.deepEqual(Object.keys(scalerView.env).filter((name) => name.startsWith('DATABASE_')), [], 'the scaler has no DATABASE_ variable');
  });

  it('replaces the consumers on a new password, and the new ones store events', async () => {
    const oldPods = (await podStates(release.namespace, 'consumer')).map((pod) => pod.name);
    const oldChecksum = await consumerChecksum();
    const newPassword = randomPassword();
    await sql`ALTER ROLE ${sql.id(release.databaseRole)} PASSWORD ${sql.lit(newPassword)}`.execute(release.database.db);
    const upgrade = await helm('upgrade', release.name, CHART_DIR, '--namespace', release.namespace, '--reuse-values', '--wait', '--timeout', '5m', ...setValues({ 'auth.databasePassword': newPassword }));
    assert.equal(upgrade.exitCode, 0, `the pre-upgrade migration hook connects with the new password: ${upgrade.stdout}\n${upgrade.stderr}`);
    assert.notEqual(await consumerChecksum(), oldChecksum, 'checksum/secret changed');
    const newPods = await waitFor(
      `${PARTITIONS} new Ready consumers`,
      () => podStates(release.namespace, 'consumer'),
      (pods) => pods.length === PARTITIONS && pods.every((pod) => pod.ready && !pod.terminating && !oldPods.includes(pod.name)),
      { timeoutMs: SETTLE_TIMEOUT_MS, intervalMs: 500 },
    );
    const [newPod = ''] = newPods.map((pod) => pod.name);
    assert.ok(onlyInCredentialFile(await credentialView(release.namespace, newPod), newPassword, 'database-password'), `${newPod} reads the new password from its file`);
    await release.topics.produce(todoEvents(0, EVENTS, release.namespace));
    await waitFor('every event to be stored', () => release.database.rowCount(), (rows) => rows >= EVENTS, { timeoutMs: SETTLE_TIMEOUT_MS, intervalMs: 500 });
    assert.equal(await assertStoredExactlyOnce(release.database, release.topics), EVENTS);
  });
});
