import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RELEASE, renderChart } from '../support/kubernetes/helm-chart.js';
import { findObject, isWorkload, podSpecOf, type Deployment, type KubeObject, type PodSpec } from '../support/kubernetes/manifests.js';

// The first run may build helm from source.
const TOOL_BUILD_TIMEOUT_MS = 30 * 60_000;
const FULLNAME = `${RELEASE}-todo-history`;

const authVariants: Record<string, Record<string, string>> = {
  'chart Secret, URL only': { 'auth.databaseUrl': 'postgres://todo@db:5432/todo' },
  'chart Secret with a password': { 'auth.databaseUrl': 'postgres://todo@db:5432/todo', 'auth.databasePassword': 'pw', 'auth.kafkaSaslPassword': 'sasl' },
  'existing Secret with a password key': { 'auth.existingSecret': 'creds', 'auth.secretKeys.databaseUrl': 'uri', 'auth.secretKeys.databasePassword': 'password' },
  'existing Secret, URL only': { 'auth.existingSecret': 'creds', 'auth.secretKeys.databasePassword': '' },
};

const saslVariants: Record<string, string>[] = [{}, { 'kafka.sasl.mechanism': 'scram-sha-256', 'kafka.sasl.username': 'todo', 'auth.kafkaSaslPassword': 'sasl' }];

/** Every combination of auth.*, auth.mountAsFiles, kafka.sasl.* and scaler.enabled. */
function combinations(): { name: string; set: Record<string, string> }[] {
  const result: { name: string; set: Record<string, string> }[] = [];
  for (const [auth, authSet] of Object.entries(authVariants)) {
    for (const mountAsFiles of ['false', 'true']) {
      for (const sasl of saslVariants) {
        for (const scaler of ['false', 'true']) {
          const set: Record<string, string> = { ...authSet, 'auth.mountAsFiles': mountAsFiles, 'scaler.enabled': scaler, ...sasl };
          if (authSet['auth.existingSecret'] !== undefined) delete set['auth.kafkaSaslPassword'];
          result.push({ name: `${auth}, mountAsFiles=${mountAsFiles}, sasl=${'kafka.sasl.mechanism' in sasl}, scaler=${scaler}`, set });
        }
      }
    }
  }
  return result;
}

/** How a pod reaches the database credentials (the keys of the URL and the password), if it does. */
function databaseCredentialReferences(pod: PodSpec, databaseKeys: readonly string[]): string[] {
  const references: string[] = [];
  for (const container of [...pod.containers, ...(pod.initContainers ?? [])]) {
    for (const entry of container.env ?? []) {
      const key = entry.valueFrom?.secretKeyRef?.key;
      if (key !== undefined && databaseKeys.includes(key)) references.push(`${container.name}: env ${entry.name} ← secretKeyRef ${key}`);
    }
    for (const source of container.envFrom ?? []) if (source.secretRef !== undefined) references.push(`${container.name}: envFrom Secret ${source.secretRef.name}`);
  }
  for (const volume of pod.volumes ?? []) {
    if (volume.secret === undefined) continue;
    const { items } = volume.secret;
    // Without items, Kubernetes projects every key of the Secret.
    if (items === undefined || items.length === 0) references.push(`volume ${volume.name}: every key of Secret ${volume.secret.secretName}`);
    else for (const item of items) if (databaseKeys.includes(item.key)) references.push(`volume ${volume.name}: item ${item.key}`);
  }
  return references;
}

const databaseClients = new Set([`Deployment/${FULLNAME}`, `Job/${FULLNAME}-migrate`, `Pod/${FULLNAME}-test-schema`]);

describe('Helm chart: database credentials reach only the pods that talk to the database', { timeout: TOOL_BUILD_TIMEOUT_MS }, () => {
  it('in every combination of auth.*, kafka.sasl.* and scaler.enabled, only the consumer, the migration (and the test pod) reference them', async () => {
    for (const { name, set } of combinations()) {
      const objects: KubeObject[] = await renderChart({ set });
      const databaseKeys = [set['auth.secretKeys.databaseUrl'] ?? 'database-url', set['auth.secretKeys.databasePassword'] ?? 'database-password'].filter((key) => key !== '');
      for (const object of objects.filter(isWorkload)) {
        const where = `${object.kind}/${object.metadata.name}`;
        const references = databaseCredentialReferences(podSpecOf(object), databaseKeys);
        if (databaseClients.has(where)) assert.ok(references.length > 0, `${name}: ${where} reads the database URL`);
        else assert.deepEqual(references, [], `${name}: ${where}`);
      }
      if (set['scaler.enabled'] === 'true') {
        const volumes = findObject<Deployment>(objects, 'Deployment', `${FULLNAME}-scaler`).spec.template.spec.volumes ?? [];
        const credentials = volumes.find((volume) => volume.name === 'credentials');
        const expected = set['auth.mountAsFiles'] === 'true' && 'kafka.sasl.mechanism' in set ? [{ key: 'kafka-sasl-password', path: 'kafka-sasl-password' }] : undefined;
        assert.deepEqual(credentials?.secret?.items, expected, `${name}: the scaler mounts the SASL password alone, or no credentials volume`);
      }
    }
  });
});

describe("Helm chart: the migration Job's own Secret (migration.auth), for the schema owner's role", { timeout: TOOL_BUILD_TIMEOUT_MS }, () => {
  const consumerAuth = { 'auth.databaseUrl': 'postgres://todo_consumer@db:5432/todo', 'auth.databasePassword': 'consumer-pw' };

  /** The pod's secretKeyRef environment entries, sorted. */
  function secretRefs(pod: PodSpec): string[] {
    return pod.containers.flatMap((container) =>
      (container.env ?? []).flatMap((entry) => {
        const ref = entry.valueFrom?.secretKeyRef;
        return ref === undefined ? [] : [`${entry.name} ← ${ref.name}/${ref.key}`];
      }),
    ).sort();
  }

  it('gives the migration Job the owner Secret and leaves the consumer and the test pod on their own', async () => {
    const objects = await renderChart({ set: { ...consumerAuth, 'migration.auth.existingSecret': 'schema-owner' } });
    assert.deepEqual(secretRefs(podSpecOf(findObject(objects, 'Job', `${FULLNAME}-migrate`))), [
      'DATABASE_PASSWORD ← schema-owner/database-password',
      'DATABASE_URL ← schema-owner/database-url',
    ]);
    assert.deepEqual(secretRefs(podSpecOf(findObject(objects, 'Deployment', FULLNAME))), [
      `DATABASE_PASSWORD ← ${FULLNAME}/database-password`,
      `DATABASE_URL ← ${FULLNAME}/database-url`,
    ]);
    assert.deepEqual(secretRefs(podSpecOf(findObject(objects, 'Pod', `${FULLNAME}-test-schema`))), [
      `DATABASE_PASSWORD ← ${FULLNAME}/database-password`,
      `DATABASE_URL ← ${FULLNAME}/database-url`,
    ]);
    assert.equal(objects.some((object) => object.kind === 'Secret' && object.metadata.name === `${FULLNAME}-migrate`), false, 'no copy of the consumer credentials for the hook');
  });

  it('reads the keys migration.auth.secretKeys names, with no password key, also as mounted files', async () => {
    const set = { 'auth.existingSecret': 'consumer', 'migration.auth.existingSecret': 'schema-owner', 'migration.auth.secretKeys.databaseUrl': 'owner-url', 'migration.auth.secretKeys.databasePassword': '' };
    const job = podSpecOf(findObject(await renderChart({ set }), 'Job', `${FULLNAME}-migrate`));
    assert.deepEqual(secretRefs(job), ['DATABASE_URL ← schema-owner/owner-url']);

    const mounted = podSpecOf(findObject(await renderChart({ set: { ...set, 'auth.mountAsFiles': 'true' } }), 'Job', `${FULLNAME}-migrate`));
    const credentials = mounted.volumes?.find((volume) => volume.name === 'credentials')?.secret;
    assert.equal(credentials?.secretName, 'schema-owner');
    assert.deepEqual(credentials.items, [{ key: 'owner-url', path: 'owner-url' }]);
    assert.deepEqual(
      mounted.containers[0]?.env?.filter((entry) => entry.name.startsWith('DATABASE_URL')),
      [{ name: 'DATABASE_URL_FILE', value: '/var/run/secrets/todo-history/owner-url' }],
    );
  });

  it("falls back to the consumer's credentials without migration.auth", async () => {
    const objects = await renderChart({ set: { 'auth.existingSecret': 'consumer' } });
    assert.deepEqual(secretRefs(podSpecOf(findObject(objects, 'Job', `${FULLNAME}-migrate`))), [
      'DATABASE_PASSWORD ← consumer/database-password',
      'DATABASE_URL ← consumer/database-url',
    ]);
  });
});
