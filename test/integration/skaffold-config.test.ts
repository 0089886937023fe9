import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/load-config.js';
import { chartDir, repoRoot } from '../support/kubernetes/helm-chart.js';
import { kubeconform } from '../support/kubernetes/kubeconform.js';
import { findObject, parseManifests, podSpecOf, type ConfigMap, type Deployment, type KubeObject, type Secret, type Service, type StatefulSet } from '../support/kubernetes/manifests.js';
import { skaffold } from '../support/kubernetes/skaffold.js';
import { ensureGoTool } from '../../deploy/local/tools/go-tools.js';
import { runCommand } from '../../deploy/local/system/run-command.js';
import { createDevCheckout } from '../cluster/support/dev-checkout.js';
import { applyOfflineSubstitutions } from '../cluster/support/offline-skaffold.js';
import { DEFAULT_KAFKA_VERSION } from '../../deploy/local/services/kafka-jars.js';
import { SKAFFOLD_CONFIG_VERSION } from '../../deploy/local/tools/skaffold-schema.js';

// The first run may build skaffold, helm and kubeconform from source.
const TOOL_BUILD_TIMEOUT_MS = 30 * 60_000;
const DEV_STACK = path.join(repoRoot, 'deploy', 'k8s');
/** The local stack without a namespace, which skaffold renders. */
const DEV_MANIFESTS = path.join(DEV_STACK, 'base');
/** The namespace the README installs the chart into, where `kubectl apply -k deploy/k8s` puts the stack. */
const README_NAMESPACE = 'todo';

interface SkaffoldConfig {
  apiVersion: string;
  metadata: { name: string };
  deploy?: { helm?: { releases: { name: string; chartPath: string; setValues?: Record<string, string>; setValueTemplates?: Record<string, string> }[] } };
  portForward?: { resourceType: string; resourceName: string; port: number; address?: string }[];
  profiles?: { name: string }[];
}

const readYaml = <T>(file: string): T => parse(readFileSync(file, 'utf8')) as T;
const configNames = (diagnosed: string): string[] => parseManifests(diagnosed).map((config) => (config as unknown as SkaffoldConfig).metadata.name);

describe('skaffold.yaml and the development manifests in deploy/', { timeout: TOOL_BUILD_TIMEOUT_MS }, () => {
  const root = readYaml<SkaffoldConfig>(path.join(repoRoot, 'skaffold.yaml'));

  it('are written for the newest config version the pinned skaffold knows', () => {
    assert.equal(root.apiVersion, `skaffold/${SKAFFOLD_CONFIG_VERSION}`);
    assert.equal(readYaml<SkaffoldConfig>(path.join(repoRoot, 'deploy', 'skaffold.yaml')).apiVersion, `skaffold/${SKAFFOLD_CONFIG_VERSION}`);
  });

  it('parse with skaffold\'s own strict parser, which rejects a field it does not know', async () => {
    const plain = await skaffold(['diagnose', '--yaml-only']);
    assert.equal(plain.exitCode, 0, plain.stderr);
    assert.deepEqual(configNames(plain.stdout), ['todo-history-dev-services', 'todo-history']);

    const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'todo-history-skaffold-'));
    try {
      const misspelt = path.join(scratch, 'skaffold.yaml');
      await fs.writeFile(misspelt, readFileSync(path.join(repoRoot, 'skaffold.yaml'), 'utf8').replace('setValueTemplates:', 'setValueTemplate:'));
      const rejected = await skaffold(['diagnose', '--yaml-only', '--filename', misspelt]);
      assert.equal(rejected.exitCode, 1);
      assert.match(rejected.stderr, /field setValueTemplate not found in type latest\.HelmRelease/);
    } finally {
      await fs.rm(scratch, { recursive: true, force: true });
    }
  });

  it('deploy the local stack with no profile, as a dependency deployed before the chart; the profile existing-cluster deploys the chart alone', async () => {
    assert.deepEqual(root.profiles?.map((profile) => profile.name), ['existing-cluster'], 'the user\'s skaffold.yaml holds no harness profile');
    const existing = await skaffold(['diagnose', '--yaml-only', '--profile', 'existing-cluster']);
    assert.equal(existing.exitCode, 0, existing.stderr);
    assert.deepEqual(configNames(existing.stdout), ['todo-history']);
    const rendered = await skaffold(['render', '--offline=true', '--digest-source=tag', '--profile', 'existing-cluster']);
    assert.equal(rendered.exitCode, 0, rendered.stderr);
    assert.deepEqual([...new Set(parseManifests(rendered.stdout).map((o) => o.metadata.labels?.['app.kubernetes.io/name']))], ['todo-history']);
  });

  it('with the cluster tests\' offline substitutions, build every image with the custom builder, deploy/\'s public ones as stand-ins', async () => {
    const checkout = await createDevCheckout();
    try {
      const result = await skaffold(['render', '--offline=true', '--digest-source=tag', '--default-repo=127.0.0.1:5000'], checkout.directory);
      assert.equal(result.exitCode, 0, result.stderr);
      const images = parseManifests(result.stdout).flatMap((o) => (['StatefulSet', 'Deployment', 'Job', 'Pod'].includes(o.kind) ? podSpecOf(o).containers.map((c) => c.image) : []));
      assert.ok(images.length >= 6, images.join(' '));
      for (const image of images) assert.match(image, /^127\.0\.0\.1:5000\/(todo-history|apache_kafka|timescale_timescaledb):[0-9a-f]{64}$/);
      // Each substitution refuses a file that no longer holds what it replaces, so they apply once only.
      await assert.rejects(applyOfflineSubstitutions(checkout.directory), /update the cluster tests' substitutions/);
    } finally {
      await checkout.remove();
    }
  });

  it('build the Dockerfile and hand the built image to the chart, and forward the probe and metrics port to localhost', () => {
    const release = root.deploy?.helm?.releases[0];
    assert.equal(release?.chartPath, path.relative(repoRoot, chartDir));
    assert.deepEqual(release?.setValueTemplates, { 'image.repository': '{{.IMAGE_REPO_todo_history}}', 'image.tag': '{{.IMAGE_TAG_todo_history}}' });
    assert.deepEqual(root.portForward?.map((forward) => [forward.resourceType, forward.resourceName, forward.port, forward.address]), [['service', 'todo-history', 8080, '127.0.0.1']]);
  });

  describe('skaffold render --offline (no profile)', () => {
    let objects: KubeObject[] = [];
    let renderFile = '';

    before(async () => {
      const result = await skaffold(['render', '--offline=true', '--digest-source=tag']);
      assert.equal(result.exitCode, 0, result.stderr);
      objects = parseManifests(result.stdout);
      renderFile = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'todo-history-skaffold-render-')), 'render.yaml');
      await fs.writeFile(renderFile, result.stdout);
    }, { timeout: TOOL_BUILD_TIMEOUT_MS });
    after(async () => {
      await fs.rm(path.dirname(renderFile), { recursive: true, force: true });
    });

    it('renders the services before the chart, all valid for kubeconform -strict', async () => {
      const at = (kind: string, name: string): number => objects.findIndex((o) => o.kind === kind && o.metadata.name === name);
      assert.ok(at('StatefulSet', 'timescaledb') >= 0 && at('StatefulSet', 'timescaledb') < at('Deployment', 'todo-history'));
      const report = await kubeconform([renderFile]);
      assert.equal(report.exitCode, 0, report.resources.map((r) => `${r.kind}/${r.name}: ${r.msg}`).join('\n'));
      assert.deepEqual([...new Set(report.resources.map((r) => r.status))], ['statusValid']);
      assert.equal(report.resources.length, objects.length);
    });

    it('runs every container of the chart on the image skaffold built, not the chart\'s default tag', () => {
      const appVersion = readYaml<{ appVersion: string }>(path.join(chartDir, 'Chart.yaml')).appVersion;
      const chartObjects = objects.filter((o) => o.metadata.labels?.['app.kubernetes.io/name'] === 'todo-history');
      const images = chartObjects.filter((o) => ['Deployment', 'Job', 'Pod'].includes(o.kind)).flatMap((o) => podSpecOf(o).containers.map((c) => c.image));
      assert.ok(images.length >= 3);
      for (const image of images) {
        assert.match(image, /^todo-history:[\w][\w.-]*$/);
        assert.notEqual(image, `todo-history:${appVersion}`);
      }
    });

    it('runs one consumer per partition of the topics the local stack creates', () => {
      const topics = podSpecOf(findObject(objects, 'StatefulSet', 'kafka')).containers.find((container) => container.name === 'topics');
      const partitions = Number(topics?.env?.find((e) => e.name === 'PARTITIONS')?.value);
      assert.equal(findObject<Deployment>(objects, 'Deployment', 'todo-history').spec.replicas, partitions);
    });

    it('points the chart at the Secret deploy/ creates, whose keys it reads, and forwards a port the Service has', () => {
      const consumer = findObject<Deployment>(objects, 'Deployment', 'todo-history').spec.template.spec.containers[0];
      const refs = (consumer?.env ?? []).flatMap((e) => (e.valueFrom?.secretKeyRef ? [e.valueFrom.secretKeyRef] : []));
      assert.ok(refs.length > 0);
      const secret = findObject<Secret>(objects, 'Secret', root.deploy?.helm?.releases[0]?.setValues?.['auth.existingSecret'] ?? '');
      for (const ref of refs) {
        assert.equal(ref.name, secret.metadata.name);
        assert.ok(ref.key in (secret.stringData ?? {}), `${secret.metadata.name} has ${ref.key}`);
      }
      const service = findObject<Service>(objects, 'Service', root.portForward?.[0]?.resourceName ?? '');
      assert.ok(service.spec.ports.some((p) => p.port === root.portForward?.[0]?.port));
    });
  });

  describe('deploy/k8s', () => {
    it('puts the local stack into the namespace the README installs the chart into, creating it', async () => {
      const rendered = parseManifests(await runCommand(await ensureGoTool('kubectl'), ['kustomize', DEV_STACK]).then((out) => out.stdout));
      const namespace = findObject(rendered, 'Namespace', README_NAMESPACE);
      const stack = rendered.filter((o) => o !== namespace);
      assert.deepEqual(stack.map((o) => `${o.kind}/${o.metadata.name}`).sort(), manifests().map((o) => `${o.kind}/${o.metadata.name}`).sort());
      for (const object of stack) assert.equal(object.metadata.namespace, README_NAMESPACE, `${object.kind}/${object.metadata.name}`);
      assert.equal(manifests().filter((o) => o.metadata.namespace !== undefined).length, 0, 'the base skaffold renders has no namespace of its own');
    });

    // kustomization.yaml makes the directory a kustomize base; it is no Kubernetes object.
    const manifestFiles = (): string[] => readdirSync(DEV_MANIFESTS).filter((file) => file !== 'kustomization.yaml').map((file) => path.join(DEV_MANIFESTS, file));
    const manifests = (): KubeObject[] => parseManifests(manifestFiles().map((file) => readFileSync(file, 'utf8')).join('\n---\n'));

    it('lists every manifest in its kustomization, which skaffold renders', () => {
      const kustomization = readYaml<{ resources: string[] }>(path.join(DEV_MANIFESTS, 'kustomization.yaml'));
      assert.deepEqual([...kustomization.resources].sort(), manifestFiles().map((file) => path.basename(file)).sort());
    });

    it('pins the database image by digest', () => {
      const database = podSpecOf(findObject(manifests(), 'StatefulSet', 'timescaledb')).containers[0];
      assert.match(database?.image ?? '', /^timescale\/timescaledb:[\w.-]+@sha256:[0-9a-f]{64}$/);
    });

    it('is valid for kubeconform -strict', async () => {
      const files = manifestFiles();
      const report = await kubeconform(files);
      assert.equal(report.exitCode, 0, report.resources.map((r) => `${r.kind}/${r.name}: ${r.msg}`).join('\n'));
      assert.deepEqual(report.resources.map((r) => `${r.kind}/${r.name}:${r.status}`).sort(), [
        'ConfigMap/kafka-config:statusValid',
        'Secret/todo-history-credentials:statusValid',
        'Service/kafka-headless:statusValid',
        'Service/kafka:statusValid',
        'Service/timescaledb:statusValid',
        'StatefulSet/kafka:statusValid',
        'StatefulSet/timescaledb:statusValid',
      ]);
    });

    it('governs each StatefulSet with a headless Service, and probes the database over TCP, which its init server does not listen on', () => {
      const objects = manifests();
      const kafka = findObject<StatefulSet>(objects, 'StatefulSet', 'kafka');
      const governing = findObject<Service>(objects, 'Service', kafka.spec.serviceName);
      assert.equal(governing.spec.clusterIP, 'None');
      // The broker advertises its pod's name there, which its own topics container needs before the pod is Ready.
      assert.equal(governing.spec.publishNotReadyAddresses, true);
      const properties = findObject<ConfigMap>(objects, 'ConfigMap', 'kafka-config').data?.['server.properties'] ?? '';
      assert.doesNotMatch(properties, /^advertised\.listeners=/m, 'the command sets it, with the namespace');
      // Fully qualified, so that clients in other namespaces resolve it; the namespace is the pod's own.
      const broker = kafka.spec.template.spec.containers.find((container) => container.name === 'kafka');
      assert.ok(broker?.command?.join('\n').includes(`--override "advertised.listeners=PLAINTEXT://$POD_NAME.${kafka.spec.serviceName}.$POD_NAMESPACE.svc.$CLUSTER_DOMAIN:9092"`), broker?.command?.join('\n'));
      const env = Object.fromEntries((broker?.env ?? []).map((e) => [e.name, e.valueFrom?.fieldRef?.fieldPath ?? e.value]));
      assert.deepEqual([env['POD_NAME'], env['POD_NAMESPACE'], env['CLUSTER_DOMAIN']], ['metadata.name', 'metadata.namespace', 'cluster.local']);
      const database = podSpecOf(findObject(objects, 'StatefulSet', 'timescaledb')).containers[0];
      assert.ok(database?.readinessProbe?.exec?.command.includes('--host=127.0.0.1'), JSON.stringify(database?.readinessProbe));
    });

    it('creates the application\'s topics in every Kafka pod, with the partition count skaffold.yaml gives the chart, on the Kafka version the tests run', () => {
      const kafka = podSpecOf(findObject(manifests(), 'StatefulSet', 'kafka'));
      const topics = kafka.containers.find((container) => container.name === 'topics');
      const env = Object.fromEntries((topics?.env ?? []).map((e) => [e.name, e.value]));
      const app = loadConfig({});
      assert.equal(env['TOPICS'], `${app.kafka.topic} ${app.kafka.dlqTopic}`);
      assert.equal(env['PARTITIONS'], root.deploy?.helm?.releases[0]?.setValues?.['kafka.topic.partitions']);
      assert.deepEqual(kafka.containers.map((container) => container.image), [`apache/kafka:${DEFAULT_KAFKA_VERSION}`, `apache/kafka:${DEFAULT_KAFKA_VERSION}`]);
      assert.equal(kafka.enableServiceLinks, false);
    });

    it('serves Kafka and the database where the chart\'s defaults and the credentials look for them', () => {
      const objects = manifests();
      const values = readYaml<{ kafka: { brokers: string[] } }>(path.join(chartDir, 'values.yaml'));
      assert.equal(values.kafka.brokers.length, 1);
      const [host, port] = (values.kafka.brokers[0] ?? '').split(':');
      assert.ok(findObject<Service>(objects, 'Service', host ?? '').spec.ports.some((p) => p.port === Number(port)));
      const secret = findObject<Secret>(objects, 'Secret', 'todo-history-credentials');
      const url = new URL(secret.stringData?.['database-url'] ?? '');
      assert.ok(findObject<Service>(objects, 'Service', url.hostname).spec.ports.some((p) => p.port === Number(url.port)));
      assert.equal(url.password, '', 'the password is a key of its own, which the database container reads too');
      const chartKeys = readYaml<{ auth: { secretKeys: Record<string, string> } }>(path.join(chartDir, 'values.yaml')).auth.secretKeys;
      assert.deepEqual(Object.keys(secret.stringData ?? {}).sort(), [chartKeys['databasePassword'], chartKeys['databaseUrl']].sort());
    });
  });
});
