import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { helmTemplate, RELEASE, renderChart, type RenderOptions } from '../support/kubernetes/helm-chart.js';
import { kubeconform } from '../support/kubernetes/kubeconform.js';
import { findObject, isWorkload, objectsOfKind, podSpecOf, type ConfigMap, type Deployment, type KubeObject, type PodSpec, type RoleBinding, type Secret } from '../support/kubernetes/manifests.js';

// The first run may build helm and kubeconform from source.
const TOOL_BUILD_TIMEOUT_MS = 30 * 60_000;
const FULLNAME = `${RELEASE}-todo-history`;
const defaults = ['ci/defaults-values.yaml'];

type PlacedPod = PodSpec & { imagePullSecrets?: { name: string }[]; tolerations?: { key: string }[] };
interface TimedProbe {
  initialDelaySeconds?: number;
  periodSeconds: number;
  timeoutSeconds: number;
  failureThreshold: number;
}

const render = (options: RenderOptions = {}): Promise<KubeObject[]> => renderChart({ valuesFiles: defaults, ...options });
const consumer = (objects: readonly KubeObject[]): Deployment => findObject<Deployment>(objects, 'Deployment', FULLNAME);
const pods = (objects: readonly KubeObject[]): [string, PlacedPod][] => objects.filter(isWorkload).map((object) => [`${object.kind}/${object.metadata.name}`, podSpecOf(object) as PlacedPod]);
const brokersOf = async (options: RenderOptions): Promise<string | undefined> => findObject<ConfigMap>(await render(options), 'ConfigMap', FULLNAME).data?.['KAFKA_BROKERS'];

const rejected = async (options: RenderOptions, expected: RegExp): Promise<void> => {
  const result = await helmTemplate({ valuesFiles: defaults, ...options });
  assert.equal(result.exitCode, 1, `${JSON.stringify(options)} was accepted`);
  assert.match(result.stderr, expected);
};

/** The rendered objects of `options`, valid for kubeconform -strict (the custom resources skipped). */
async function validObjects(options: RenderOptions): Promise<KubeObject[]> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'todo-history-conventions-'));
  try {
    const result = await helmTemplate(options);
    assert.equal(result.exitCode, 0, result.stderr);
    const file = path.join(dir, 'rendered.yaml');
    await fs.writeFile(file, result.stdout);
    const report = await kubeconform([file], ['ServiceMonitor', 'PrometheusRule', 'ScaledObject']);
    assert.equal(report.exitCode, 0, report.resources.filter((r) => r.status !== 'statusValid').map((r) => `${r.kind}/${r.name}: ${r.msg}`).join('\n') + report.stderr);
    return renderChart(options);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

describe('Helm chart: the conventions of the charts people already use', { timeout: TOOL_BUILD_TIMEOUT_MS }, () => {
  describe('kafka.brokers', () => {
    it('takes a list, from a values file, --set {…} or --set-json, and still a comma-separated string', async () => {
      const expected = 'kafka-0.kafka:9092,kafka-1.kafka:9092';
      assert.equal(await brokersOf({ set: { 'kafka.brokers': '{kafka-0.kafka:9092,kafka-1.kafka:9092}' } }), expected);
      assert.equal(await brokersOf({ setJson: { 'kafka.brokers': ['kafka-0.kafka:9092', 'kafka-1.kafka:9092'] } }), expected);
      assert.equal(await brokersOf({ set: { 'kafka.brokers': 'kafka-0.kafka:9092\\, kafka-1.kafka:9092' } }), expected);
      assert.equal(await brokersOf({}), 'kafka:9092');
    });

    it('hands KEDA the same brokers', async () => {
      const objects = await render({ set: { 'keda.enabled': 'true' }, setJson: { 'kafka.brokers': ['b-1:9092', 'b-2:9092'] } });
      const scaledObject = findObject<KubeObject & { spec: { triggers: { metadata: Record<string, string> }[] } }>(objects, 'ScaledObject', FULLNAME);
      assert.equal(scaledObject.spec.triggers[0]?.metadata['bootstrapServers'], 'b-1:9092,b-2:9092');
    });

    it('rejects an empty list and a broker without a port', async () => {
      await rejected({ setJson: { 'kafka.brokers': [] } }, /at '\/kafka\/brokers'/);
      await rejected({ setJson: { 'kafka.brokers': ['kafka'] } }, /'kafka' does not match pattern/);
    });
  });

  describe('images', () => {
    it('requires image.repository, saying so, rather than deploying an image that exists nowhere', async () => {
      const result = await helmTemplate({ set: { 'auth.databaseUrl': 'postgres://todo@db:5432/todo' }, testImage: false });
      assert.equal(result.exitCode, 1);
      assert.match(result.stderr, /image\.repository is required: build the image from the repository's Dockerfile, push it to your registry and set image\.repository/);
    });

    it('puts image.registry, else global.imageRegistry, before the repository', async () => {
      const imageOf = async (set: Record<string, string>): Promise<string | undefined> => consumer(await render({ set: { 'image.repository': 'todo/todo-history', 'image.tag': '1.2.3', ...set } })).spec.template.spec.containers[0]?.image;
      assert.equal(await imageOf({}), 'todo/todo-history:1.2.3');
      assert.equal(await imageOf({ 'global.imageRegistry': 'mirror.example.com' }), 'mirror.example.com/todo/todo-history:1.2.3');
      assert.equal(await imageOf({ 'global.imageRegistry': 'mirror.example.com', 'image.registry': 'registry.example.com:5000' }), 'registry.example.com:5000/todo/todo-history:1.2.3');
    });

    it('gives every pod imagePullSecrets and global.imagePullSecrets, as names or {name}, each once', async () => {
      const objects = await validObjects({
        valuesFiles: defaults,
        set: { 'scaler.enabled': 'true' },
        setJson: { imagePullSecrets: [{ name: 'registry' }, 'mirror'], 'global.imagePullSecrets': ['mirror', { name: 'global' }] },
      });
      const all = pods(objects);
      assert.equal(all.length, 5, all.map(([where]) => where).join(' '));
      for (const [where, pod] of all) assert.deepEqual(pod.imagePullSecrets, [{ name: 'registry' }, { name: 'mirror' }, { name: 'global' }], where);
      for (const [where, pod] of pods(await render())) assert.equal(pod.imagePullSecrets, undefined, where);
    });

    it('no longer takes image.pullSecretName (CHANGELOG: imagePullSecrets)', async () => {
      await rejected({ set: { 'image.pullSecretName': 'registry' } }, /at '\/image': additional properties 'pullSecretName' not allowed/);
    });
  });

  describe('shapes of the Kubernetes API', () => {
    it('takes tolerations as a list, for every pod, the migration Job\'s own added', async () => {
      const objects = await validObjects({
        valuesFiles: defaults,
        set: { 'scaler.enabled': 'true' },
        setJson: { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'data', effect: 'NoSchedule' }], 'migration.tolerations': [{ key: 'batch', operator: 'Exists' }] },
      });
      for (const [where, pod] of pods(objects)) {
        const expected = where.endsWith('-migrate') || where.startsWith('Pod/') ? ['dedicated', 'batch'] : ['dedicated'];
        assert.deepEqual(pod.tolerations?.map((toleration) => toleration.key), expected, where);
      }
    });

    it('refuses the map shapes of earlier chart versions, naming the key (CHANGELOG: upgrading to 1.0.0)', async () => {
      await rejected({ set: { 'tolerations.dedicated.key': 'dedicated' } }, /at '\/tolerations': got object, want array/);
      await rejected({ set: { 'extraEnv.NODE_OPTIONS': '--max-old-space-size=160' } }, /additional properties 'extraEnv' not allowed/);
      await rejected({ set: { 'extraVolumes.tmp.emptyDir.medium': 'Memory' } }, /at '\/extraVolumes': got object, want array/);
      await rejected({ set: { 'networkPolicy.metricsFrom.prometheus.podSelector.matchLabels.app': 'prometheus' } }, /at '\/networkPolicy\/metricsFrom': got object, want array/);
    });

    it('takes resource quantities as numbers or strings, as the API does', async () => {
      const objects = await validObjects({ valuesFiles: defaults, set: { 'resources.requests.cpu': '1', 'resources.limits.cpu': '2', 'resources.requests.memory': '268435456', 'scaler.enabled': 'true', 'scaler.resources.requests.cpu': '0.5' } });
      const container = consumer(objects).spec.template.spec.containers[0] as unknown as { resources: unknown };
      assert.deepEqual(container.resources, {
        requests: { cpu: 1, memory: 268435456 },
        limits: { cpu: 2, memory: '256Mi' },
      });
      await rejected({ set: { 'resources.requests.cpu': '-1' } }, /at '\/resources\/requests\/cpu': minimum: got -1, want 0/);
      await rejected({ set: { 'resources.requests.memory': 'lots' } }, /at '\/resources\/requests\/memory': 'lots' does not match pattern/);
    });

    it('lets every probe\'s delay, period, timeout and threshold be set', async () => {
      const objects = await validObjects({
        valuesFiles: defaults,
        set: { 'scaler.enabled': 'true', 'probes.liveness.timeoutSeconds': '5', 'probes.liveness.initialDelaySeconds': '10', 'probes.readiness.periodSeconds': '15', 'probes.startup.failureThreshold': '90' },
      });
      for (const deployment of objectsOfKind<Deployment>(objects, 'Deployment')) {
        const container = deployment.spec.template.spec.containers[0] as unknown as { startupProbe: TimedProbe; livenessProbe: TimedProbe; readinessProbe: TimedProbe };
        assert.deepEqual(container.livenessProbe, { httpGet: { path: '/livez', port: 'http' }, initialDelaySeconds: 10, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 }, deployment.metadata.name);
        assert.equal(container.readinessProbe.periodSeconds, 15);
        assert.equal(container.readinessProbe.timeoutSeconds, 3, 'the default: /readyz waits up to 2 s for the database');
        assert.equal(container.startupProbe.failureThreshold, 90);
      }
    });
  });

  describe('under an umbrella chart and in a restricted tenant', () => {
    it('accepts `enabled` at the root, which a parent\'s dependency condition sets', async () => {
      const result = await helmTemplate({ valuesFiles: defaults, set: { enabled: 'true' } });
      assert.equal(result.exitCode, 0, result.stderr);
    });

    it('leaves the scaler\'s Role and RoleBinding out with rbac.create=false, and uses an existing ServiceAccount', async () => {
      const objects = await render({ set: { 'scaler.enabled': 'true', 'rbac.create': 'false', 'scaler.serviceAccount.create': 'false', 'scaler.serviceAccount.name': 'scaler-granted-by-admin' } });
      assert.deepEqual(objects.filter((object) => ['Role', 'RoleBinding'].includes(object.kind)), []);
      assert.equal(objects.some((object) => object.kind === 'ServiceAccount' && object.metadata.name === `${FULLNAME}-scaler`), false);
      const scaler = findObject<Deployment>(objects, 'Deployment', `${FULLNAME}-scaler`);
      assert.equal(scaler.spec.template.spec.serviceAccountName, 'scaler-granted-by-admin');
    });

    it('binds the scaler\'s Role to the ServiceAccount it runs as, with the annotations asked for', async () => {
      const objects = await render({ set: { 'scaler.enabled': 'true', 'scaler.serviceAccount.name': 'scaler', 'scaler.serviceAccount.annotations.example\\.com/role': 'scaler' } });
      const account = findObject(objects, 'ServiceAccount', 'scaler');
      assert.equal(account.metadata.annotations?.['example.com/role'], 'scaler');
      assert.deepEqual(findObject<RoleBinding>(objects, 'RoleBinding', `${FULLNAME}-scaler`).subjects.map((subject) => subject.name), ['scaler']);
      assert.equal(findObject<Deployment>(objects, 'Deployment', `${FULLNAME}-scaler`).spec.template.spec.serviceAccountName, 'scaler');
    });
  });

  it('deletes the migration hook\'s copy of the credentials whether the hooks succeed or fail', async () => {
    const secret = findObject<Secret>(await render(), 'Secret', `${FULLNAME}-migrate`);
    assert.deepEqual(secret.metadata.annotations?.['helm.sh/hook-delete-policy']?.split(','), ['before-hook-creation', 'hook-succeeded', 'hook-failed']);
  });
});
