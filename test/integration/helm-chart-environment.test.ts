import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { configKeys, migrateOnlyConfigKeys, type ConfigKey } from '../../src/config/config-keys.js';
import type { AppConfig } from '../../src/config/config-schema.js';
import { loadConfig } from '../../src/config/load-config.js';
import { loadScalerConfig, scalerConfigKeys, type ScalerConfig } from '../../src/config/scaler-config-schema.js';
import { ciValuesFiles, NAMESPACE, RELEASE, renderChart, type RenderOptions } from '../support/kubernetes/helm-chart.js';
import { findObject, isWorkload, podSpecOf, type Container, type Deployment, type KubeObject, type PodSpec } from '../support/kubernetes/manifests.js';
import { classifySettings, containerSettings, effectiveEnvironment, mountedSecretKey, type ClassifiedSetting } from '../support/kubernetes/pod-settings.js';
import { certificatePem, keyPem } from '../support/tls-fixture.js';

// The first run may build helm from source.
const TOOL_BUILD_TIMEOUT_MS = 30 * 60_000;
const FULLNAME = `${RELEASE}-todo-history`;

/** Every credential created by the chart and read from files: the paths the ci values files leave out. */
const chartSecretsAsFiles: RenderOptions = {
  set: {
    'auth.databaseUrl': 'postgres://todo_history@db.example:5432/todo_history',
    'auth.databasePassword': 'not-a-real-password',
    'auth.kafkaSaslPassword': 'not-a-real-sasl-password',
    'auth.mountAsFiles': 'true',
    'kafka.sasl.mechanism': 'scram-sha-256',
    'kafka.sasl.username': 'todo-history',
    'scaler.enabled': 'true',
  },
};

const renderings: Record<string, RenderOptions> = {
  ...Object.fromEntries(ciValuesFiles.map((file) => [file, { valuesFiles: [file] }])),
  'chart-created Secret mounted as files, with SASL': chartSecretsAsFiles,
};

/** A container of the chart, with the schema of the command it runs. */
interface ChartContainer {
  where: string;
  command: 'consume' | 'migrate' | 'test' | 'scaler';
  keys: readonly ConfigKey[];
  container: Container;
  pod: PodSpec;
  settings: ClassifiedSetting[];
}

function commandOf(container: Container): ChartContainer['command'] {
  const first = container.args?.[0];
  if (container.command !== undefined) return 'test';
  if (first === 'consume' || first === 'migrate' || first === 'scaler') return first;
  throw new Error(`${container.name} runs ${JSON.stringify(container.args)}`);
}

function chartContainers(objects: readonly KubeObject[]): ChartContainer[] {
  return objects.filter(isWorkload).flatMap((object) => {
    const pod = podSpecOf(object);
    return pod.containers.map((container) => {
      const command = commandOf(container);
      const keys = command === 'scaler' ? scalerConfigKeys : configKeys;
      return { where: `${object.kind}/${object.metadata.name}/${container.name}`, command, keys, container, pod, settings: classifySettings(containerSettings(container, objects), keys, pod, container) };
    });
  });
}

/** The settings the application's defaults cannot supply in a cluster: they point at localhost or are required. */
const mustBeSet: Record<ChartContainer['command'], readonly string[]> = {
  consume: ['KAFKA_BROKERS', 'DATABASE_URL'],
  migrate: ['DATABASE_URL'],
  test: ['DATABASE_URL'],
  scaler: ['KAFKA_BROKERS', 'SCALER_DEPLOYMENT'],
};

const keyOf = (setting: ClassifiedSetting): string => ('key' in setting ? setting.key.env : setting.name);

/** Local stand-ins for the PEM files a pod mounts, which the loader reads: a certificate, and its key for the *_KEY_FILE settings. */
const placeholderDir = mkdtempSync(path.join(tmpdir(), 'todo-history-chart-pem-'));
const placeholderCertificate = path.join(placeholderDir, 'tls.crt');
const placeholderKey = path.join(placeholderDir, 'tls.key');
writeFileSync(placeholderCertificate, certificatePem);
writeFileSync(placeholderKey, keyPem);
const pemFileSettings = ['KAFKA_SSL_CA_FILE', 'KAFKA_SSL_CERT_FILE', 'KAFKA_SSL_KEY_FILE', 'DATABASE_SSL_CA_FILE', 'DATABASE_SSL_CERT_FILE', 'DATABASE_SSL_KEY_FILE'];

/** The environment with each PEM file the pod mounts from a Secret swapped for a local stand-in; one it does not mount fails. */
function withMountedPemFiles(env: Record<string, string>, { pod, container, where }: ChartContainer): Record<string, string> {
  const swapped = { ...env };
  for (const name of pemFileSettings.filter((setting) => env[setting] !== undefined)) {
    assert.ok(mountedSecretKey(pod, container, env[name] ?? ''), `${where}: ${name} = ${env[name]} is no key of a mounted Secret`);
    swapped[name] = name.endsWith('_KEY_FILE') ? placeholderKey : placeholderCertificate;
  }
  return swapped;
}

describe('Helm chart: environment of every container against the application\'s config schema', { timeout: TOOL_BUILD_TIMEOUT_MS }, () => {
  const rendered = new Map<string, KubeObject[]>();

  before(async () => {
    for (const [name, options] of Object.entries(renderings)) rendered.set(name, await renderChart(options));
  }, { timeout: TOOL_BUILD_TIMEOUT_MS });

  after(() => rmSync(placeholderDir, { recursive: true, force: true }));

  const containersOf = (name: string): ChartContainer[] => chartContainers(rendered.get(name) ?? []);
  const eachContainer = (check: (container: ChartContainer, objects: KubeObject[], rendering: string) => void): void => {
    let count = 0;
    for (const [name, objects] of rendered) {
      for (const container of chartContainers(objects)) {
        check(container, objects, name);
        count += 1;
      }
    }
    assert.ok(count >= Object.keys(renderings).length * 3, 'consumer, migration and test containers at least');
  };

  it('sets only variables of the schema, secrets only from Secrets (secretKeyRef or a mounted <NAME>_FILE), non-secrets never', () => {
    eachContainer(({ settings, where }, _objects, rendering) => {
      assert.deepEqual(settings.filter((s) => 'problem' in s).map((s) => ('problem' in s ? s.problem : '')), [], `${rendering}: ${where}`);
    });
  });

  it('sets each setting once, by one route', () => {
    eachContainer(({ settings, where }, _objects, rendering) => {
      const keys = settings.map(keyOf);
      assert.deepEqual(keys.filter((key, index) => keys.indexOf(key) !== index), [], `${rendering}: ${where}`);
    });
  });

  it('sets what a cluster needs: the brokers, the database, the scaled Deployment', () => {
    eachContainer(({ settings, command, where }, _objects, rendering) => {
      const set = settings.map(keyOf);
      for (const name of mustBeSet[command]) assert.ok(set.includes(name), `${rendering}: ${where} sets ${name}`);
    });
  });

  it('gives every container an environment the application\'s own loader accepts', () => {
    eachContainer((chartContainer, objects, rendering) => {
      const { settings, command, where, container } = chartContainer;
      const env = withMountedPemFiles(effectiveEnvironment(settings, objects), chartContainer);
      const label = `${rendering}: ${where}`;
      if (command === 'scaler') {
        const config = loadScalerConfig(env);
        assert.equal(config.scaler.deployment, findObject<Deployment>(objects, 'Deployment', FULLNAME).metadata.name, label);
        assert.equal(config.http.port, container.ports?.[0]?.containerPort, label);
        return;
      }
      const config = loadConfig(env);
      assert.equal(config.database.url, env['DATABASE_URL'], label);
      if (command === 'consume') assert.equal(config.http.port, container.ports?.[0]?.containerPort, label);
    });
  });

  it('exposes every setting of the consumer and of the scaler (everything-values sets them all), those only migrate reads to the migration Job alone', () => {
    const containers = containersOf('ci/everything-values.yaml');
    const consumerKeys = configKeys.filter((key) => !migrateOnlyConfigKeys.some((migrateOnly) => migrateOnly.env === key.env));
    const migration = containers.find((c) => c.command === 'migrate');
    assert.ok(migration);
    for (const key of migrateOnlyConfigKeys) assert.ok(migration.settings.map(keyOf).includes(key.env), `migrate sets ${key.env}`);
    for (const [command, keys] of [['consume', consumerKeys], ['scaler', scalerConfigKeys]] as const) {
      const container = containers.find((c) => c.command === command);
      assert.ok(container, command);
      assert.deepEqual(container.settings.map(keyOf).sort(), keys.map((key) => key.env).sort(), command);
    }
  });

  it('reads secrets from files exactly where auth.mountAsFiles is set', () => {
    for (const [rendering, expected] of [
      ['ci/existing-secret-files-values.yaml', 'file'],
      ['chart-created Secret mounted as files, with SASL', 'file'],
      ['ci/defaults-values.yaml', 'secretKeyRef'],
      ['ci/everything-values.yaml', 'secretKeyRef'],
    ] as const) {
      const routes = containersOf(rendering).flatMap((c) => c.settings.filter((s) => 'via' in s && s.via !== 'plain').map((s) => ('via' in s ? s.via : '')));
      assert.ok(routes.length > 0, rendering);
      assert.deepEqual([...new Set(routes)], [expected], rendering);
    }
  });

  describe('defaults', () => {
    const environmentOf = (rendering: string, command: ChartContainer['command']): Record<string, string> => {
      const objects = rendered.get(rendering) ?? [];
      const container = chartContainers(objects).find((c) => c.command === command);
      assert.ok(container, `${rendering}: ${command}`);
      return effectiveEnvironment(container.settings, objects);
    };

    it('equal the consumer\'s own defaults, except where the cluster differs from a laptop', () => {
      const inCluster = (config: AppConfig): AppConfig => ({ ...config, kafka: { ...config.kafka, brokers: [] }, database: { ...config.database, url: '' } });
      const env = environmentOf('ci/defaults-values.yaml', 'consume');
      assert.deepEqual(loadConfig(env).kafka.brokers, ['kafka:9092']);
      assert.deepEqual(inCluster(loadConfig(env)), inCluster(loadConfig({})));
    });

    it('equal the scaler\'s own defaults, the Lease name included', () => {
      const env = environmentOf('ci/scaler-values.yaml', 'scaler');
      const chart = loadScalerConfig(env);
      const app = loadScalerConfig({ SCALER_DEPLOYMENT: FULLNAME });
      // The application's default Lease name is <deployment>-scaler; the chart spells it out for the Role.
      assert.equal(chart.leaderElection.leaseName, `${chart.scaler.deployment}-scaler`);
      assert.equal(chart.scaler.namespace, NAMESPACE);
      const comparable = (config: ScalerConfig): ScalerConfig => ({
        ...config,
        kafka: { ...config.kafka, brokers: [] },
        scaler: { ...config.scaler, namespace: '' },
        leaderElection: { ...config.leaderElection, leaseName: '', identity: '' },
      });
      assert.deepEqual(comparable(chart), comparable(app));
    });
  });
});
