import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isMap, isScalar, parseDocument, type Node } from 'yaml';
import { chartDir, ciValuesFiles, helm, helmLint, helmTemplate, NAMESPACE, RELEASE, renderChart } from '../support/kubernetes/helm-chart.js';
import { kubeconform } from '../support/kubernetes/kubeconform.js';
import {
  findObject,
  type ConfigMap,
  isWorkload,
  objectsOfKind,
  parseManifests,
  podSpecOf,
  type Deployment,
  type Job,
  type KubeObject,
  type Pod,
  type Role,
  type RoleBinding,
  type Secret,
  type Service,
} from '../support/kubernetes/manifests.js';
import { containerSettings, type SettingSource } from '../support/kubernetes/pod-settings.js';

// The first run may build helm and kubeconform from source.
const TOOL_BUILD_TIMEOUT_MS = 30 * 60_000;
const FULLNAME = `${RELEASE}-todo-history`;

const hookOf = (object: KubeObject): { events: string[]; weight: string | undefined; deletePolicy: string[] } => {
  const annotations = object.metadata.annotations ?? {};
  return {
    events: (annotations['helm.sh/hook'] ?? '').split(',').filter((e) => e !== ''),
    weight: annotations['helm.sh/hook-weight'],
    deletePolicy: (annotations['helm.sh/hook-delete-policy'] ?? '').split(',').filter((p) => p !== ''),
  };
};

const matches = (selector: Record<string, string>, labels: Record<string, string> | undefined): boolean =>
  Object.entries(selector).every(([key, value]) => labels?.[key] === value);

describe('Helm chart helm/todo-history', { timeout: TOOL_BUILD_TIMEOUT_MS }, () => {
  const renders = new Map<string, KubeObject[]>();
  let renderDir = '';

  before(async () => {
    renderDir = await fs.mkdtemp(path.join(os.tmpdir(), 'todo-history-chart-'));
    for (const file of ciValuesFiles) {
      const result = await helmTemplate({ valuesFiles: [file] });
      assert.equal(result.exitCode, 0, `${file}: ${result.stderr}`);
      await fs.writeFile(path.join(renderDir, path.basename(file)), result.stdout);
      renders.set(file, await renderChart({ valuesFiles: [file] }));
    }
  }, { timeout: TOOL_BUILD_TIMEOUT_MS });

  after(async () => {
    await fs.rm(renderDir, { recursive: true, force: true });
  });

  const rendered = (file: string): KubeObject[] => {
    const objects = renders.get(file);
    assert.ok(objects, `no render of ${file}`);
    return objects;
  };

  it('has a ci values file for each combination CI renders', () => {
    assert.deepEqual(ciValuesFiles, ['ci/defaults-values.yaml', 'ci/everything-values.yaml', 'ci/existing-secret-files-values.yaml', 'ci/keda-values.yaml', 'ci/scaler-values.yaml']);
  });

  it('passes helm lint --strict with every ci values file', async () => {
    for (const file of ciValuesFiles) {
      const result = await helmLint({ valuesFiles: [file] });
      assert.equal(result.exitCode, 0, `${file}: ${result.stdout}${result.stderr}`);
      assert.match(result.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
    }
  });

  it('renders, for every ci values file, only objects that kubeconform -strict finds valid against Kubernetes 1.37', async () => {
    // The offline schemas cover built-in kinds only; the ServiceMonitor is checked by hand below, the
    // PrometheusRule by promtool (alert-rules.test.ts).
    const report = await kubeconform(ciValuesFiles.map((file) => path.join(renderDir, path.basename(file))), ['ServiceMonitor', 'PrometheusRule', 'ScaledObject']);
    assert.equal(report.exitCode, 0, report.resources.filter((r) => r.status !== 'statusValid').map((r) => `${r.kind}/${r.name}: ${r.msg}`).join('\n') + report.stderr);
    const total = [...renders.values()].reduce((sum, objects) => sum + objects.length, 0);
    assert.equal(report.resources.length, total, 'every rendered object was seen');
    const notValid = report.resources.filter((resource) => resource.status !== 'statusValid');
    assert.deepEqual([...new Set(notValid.map((r) => `${r.kind}:${r.status}`))].sort(), ['PrometheusRule:statusSkipped', 'ScaledObject:statusSkipped', 'ServiceMonitor:statusSkipped']);
  });

  it('documents every key of values.yaml with a comment that starts with the key', () => {
    const document = parseDocument(readFileSync(path.join(chartDir, 'values.yaml'), 'utf8'));
    const undocumented: string[] = [];
    const visit = (node: Node | null, prefix: string): void => {
      if (!isMap(node)) return;
      node.items.forEach((pair, index) => {
        const dotted = `${prefix}${isScalar(pair.key) ? String(pair.key.value) : ''}`;
        const value = pair.value as Node | null;
        // topologyKeys is a map of defaults documented as a whole, and strategy the Kubernetes API's own object.
        if (isMap(value) && value.items.length > 0 && !dotted.endsWith('.topologyKeys') && dotted !== 'strategy') {
          visit(value, `${dotted}.`);
          return;
        }
        // yaml attaches the comment above a map's first key to the map itself.
        const comment = (isScalar(pair.key) ? pair.key.commentBefore : undefined) ?? (index === 0 ? node.commentBefore : undefined) ?? '';
        if (!comment.split('\n').some((line) => line.trim().startsWith(`${dotted} --`))) undocumented.push(dotted);
      });
    };
    visit(document.contents, '');
    assert.deepEqual(undocumented, []);
  });

  describe('values.schema.json', () => {
    const rejects = async (set: Record<string, string>, expected: RegExp): Promise<void> => {
      const result = await helmTemplate({ valuesFiles: ['ci/defaults-values.yaml'], set });
      assert.equal(result.exitCode, 1, `${JSON.stringify(set)} was accepted`);
      assert.match(result.stderr, /values don't meet the specifications of the schema/);
      assert.match(result.stderr, expected);
    };

    it('rejects a value of the wrong type', async () => {
      await rejects({ 'kafka.topic.partitions': 'three' }, /at '\/kafka\/topic\/partitions': got string, want integer/);
      await rejects({ 'scaler.enabled': 'yes' }, /at '\/scaler\/enabled': got string, want boolean/);
    });

    it('rejects an unknown key, even a nested one', async () => {
      await rejects({ 'kafka.topicPartitions': '3' }, /at '\/kafka': additional properties 'topicPartitions' not allowed/);
      await rejects({ 'scaler.leaderElection.leaseSeconds': '15' }, /at '\/scaler\/leaderElection': additional properties 'leaseSeconds' not allowed/);
    });

    it('rejects impossible values: out of range, not in the enum, malformed', async () => {
      await rejects({ 'kafka.topic.partitions': '0' }, /at '\/kafka\/topic\/partitions': minimum: got 0, want 1/);
      await rejects({ 'http.port': '70000' }, /at '\/http\/port': maximum: got 70,000, want 65,535/);
      await rejects({ 'log.level': 'verbose' }, /at '\/log\/level': value must be one of 'fatal'/);
      await rejects({ 'kafka.sasl.mechanism': 'kerberos' }, /at '\/kafka\/sasl\/mechanism': value must be one of 'none'/);
      await rejects({ 'kafka.brokers': 'kafka' }, /at '\/kafka\/brokers': 'kafka' does not match pattern/);
      await rejects({ 'scaler.leaderElection.leaseDurationMs': '15500' }, /multipleOf: got 15,500, want 1,000/);
    });
  });

  describe('rules that tie values together', () => {
    const fails = async (set: Record<string, string>, expected: RegExp, valuesFiles = ['ci/defaults-values.yaml']): Promise<void> => {
      const result = await helmTemplate({ valuesFiles, set });
      assert.equal(result.exitCode, 1, `${JSON.stringify(set)} was accepted`);
      assert.match(result.stderr, expected);
    };

    it('requires the database URL unless an existing Secret is named, and a key for every credential it stores', async () => {
      await fails({}, /auth\.databaseUrl is required unless auth\.existingSecret names a Secret you manage/, []);
      await fails({ 'auth.databasePassword': 'x', 'auth.secretKeys.databasePassword': '' }, /auth\.secretKeys\.databasePassword must name the key that holds auth\.databasePassword/);
    });

    it('keeps the pod\'s grace period above the application\'s shutdown grace', async () => {
      await fails({ terminationGracePeriodSeconds: '20' }, /terminationGracePeriodSeconds \(20 s\) must exceed shutdown\.graceMs \(20000 ms\)/);
    });

    it('refuses what the application would refuse at start (exit 78)', async () => {
      await fails({ 'database.poolSize': '2' }, /database\.poolSize must be at least kafka\.partitionsConsumedConcurrently/);
      await fails({ 'kafka.sasl.mechanism': 'plain', 'auth.kafkaSaslPassword': 'x' }, /kafka\.sasl\.username is required with kafka\.sasl\.mechanism plain/);
      await fails({ 'kafka.sasl.mechanism': 'plain', 'kafka.sasl.username': 'u' }, /auth\.kafkaSaslPassword is required with kafka\.sasl\.mechanism plain/);
      await fails({ 'scaler.enabled': 'true', 'scaler.minReplicas': '5', 'scaler.maxReplicas': '2' }, /scaler\.minReplicas must not exceed scaler\.maxReplicas/);
      await fails({ 'scaler.enabled': 'true', 'scaler.leaderElection.renewDeadlineMs': '15000' }, /renewDeadlineMs must be below scaler\.leaderElection\.leaseDurationMs/);
      await fails({ 'scaler.enabled': 'true', 'scaler.leaderElection.retryPeriodMs': '9000' }, /retryPeriodMs must be below scaler\.leaderElection\.renewDeadlineMs \/ 1\.2/);
    });

    it('lets the scaler or KEDA set the replicas, never both, and KEDA never below what the partitions allow', async () => {
      await fails({ 'scaler.enabled': 'true', 'keda.enabled': 'true' }, /at '\/keda\/enabled': value must be false/);
      await fails({ 'keda.enabled': 'true', 'keda.minReplicas': '4' }, /keda\.minReplicas must not exceed kafka\.topic\.partitions/);
    });
  });

  describe('KEDA', () => {
    interface ScaledObject extends KubeObject {
      spec: { scaleTargetRef: { name: string }; minReplicaCount: number; maxReplicaCount: number; triggers: { type: string; metadata: Record<string, string>; authenticationRef?: { name: string } }[] };
    }

    it('scales the consumer Deployment on its group\'s lag, capped at the live partitions (no idle consumers), with no scaler and no replicas of its own', async () => {
      const objects = rendered('ci/keda-values.yaml');
      const scaledObject = findObject<ScaledObject>(objects, 'ScaledObject', FULLNAME);
      assert.equal(scaledObject.spec.scaleTargetRef.name, FULLNAME);
      assert.deepEqual([scaledObject.spec.minReplicaCount, scaledObject.spec.maxReplicaCount], [0, 100], 'a bound, not the partition count at render time');
      const bounded = await renderChart({ valuesFiles: ['ci/keda-values.yaml'], set: { 'keda.maxReplicas': '8' } });
      assert.equal(findObject<ScaledObject>(bounded, 'ScaledObject', FULLNAME).spec.maxReplicaCount, 8);
      assert.deepEqual(scaledObject.spec.triggers, [
        {
          type: 'kafka',
          metadata: {
            bootstrapServers: 'kafka:9092',
            consumerGroup: 'todo-consumer-group-go',
            topic: 'todo-history-events',
            lagThreshold: '500',
            activationLagThreshold: '0',
            offsetResetPolicy: 'earliest',
            allowIdleConsumers: 'false',
          },
          authenticationRef: { name: 'kafka-credentials' },
        },
      ]);
      assert.equal('replicas' in findObject<Deployment>(objects, 'Deployment', FULLNAME).spec, false);
      assert.equal(objects.some((object) => object.metadata.name === `${FULLNAME}-scaler`), false);
    });
  });

  describe('replicas', () => {
    const consumerReplicas = async (set: Record<string, string>): Promise<number | undefined> =>
      findObject<Deployment>(await renderChart({ valuesFiles: ['ci/defaults-values.yaml'], set }), 'Deployment', FULLNAME).spec.replicas;

    it('roll one pod at a time by default, never below the replicas, each new pod ready for 5 s before the next old one ends', () => {
      const { spec } = findObject<Deployment & { spec: { strategy: unknown; minReadySeconds: number } }>(rendered('ci/defaults-values.yaml'), 'Deployment', FULLNAME);
      assert.deepEqual(spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
      assert.equal(spec.minReadySeconds, 5);
    });

    it('default to kafka.topic.partitions, the most a consumer group can use', async () => {
      const values = parseDocument(readFileSync(path.join(chartDir, 'values.yaml'), 'utf8')).toJS() as { kafka: { topic: { partitions: number } } };
      assert.equal(findObject<Deployment>(rendered('ci/defaults-values.yaml'), 'Deployment', FULLNAME).spec.replicas, values.kafka.topic.partitions);
      assert.equal(await consumerReplicas({ 'kafka.topic.partitions': '7' }), 7);
      assert.equal(await consumerReplicas({ replicaCount: '2' }), 2);
      assert.equal(await consumerReplicas({ replicaCount: '0' }), 0);
    });

    it('start at the partition count within the scaler\'s bounds on a first install with the scaler, whatever replicaCount says', async () => {
      const withScaler = async (set: Record<string, string>): Promise<number | undefined> => consumerReplicas({ 'scaler.enabled': 'true', ...set });
      assert.equal(await withScaler({ replicaCount: '4' }), 3, 'kafka.topic.partitions, not replicaCount: the scaler owns the count');
      assert.equal(await withScaler({ 'kafka.topic.partitions': '12', 'scaler.maxReplicas': '8' }), 8);
      assert.equal(await withScaler({ 'kafka.topic.partitions': '1', 'scaler.minReplicas': '2' }), 2);
      const everything = rendered('ci/everything-values.yaml');
      assert.equal(findObject<Deployment>(everything, 'Deployment', FULLNAME).spec.replicas, 12);
      assert.equal(findObject<Deployment>(everything, 'Deployment', `${FULLNAME}-scaler`).spec.replicas, 2);
    });

    it('are left out of the consumer Deployment on a first install with KEDA, which sets them', () => {
      assert.equal('replicas' in findObject<Deployment>(rendered('ci/keda-values.yaml'), 'Deployment', FULLNAME).spec, false);
    });
  });

  describe('the migration hook', () => {
    it('runs `migrate latest` before install and upgrade, with a quoted weight and a delete policy', () => {
      for (const file of ciValuesFiles) {
        const job = findObject<Job>(rendered(file), 'Job', `${FULLNAME}-migrate`);
        const hook = hookOf(job);
        assert.deepEqual(hook.events.sort(), ['pre-install', 'pre-upgrade']);
        assert.equal(typeof hook.weight, 'string');
        assert.ok(hook.deletePolicy.includes('before-hook-creation'));
        assert.deepEqual(job.spec.template.spec.containers.map((c) => c.args), [['migrate', 'latest']]);
      }
    });

    it('needs nothing that does not exist before it: what it references is a lower-weight hook or the user\'s own', () => {
      for (const file of ciValuesFiles) {
        const objects = rendered(file);
        const job = findObject<Job>(objects, 'Job', `${FULLNAME}-migrate`);
        const pod = job.spec.template.spec;
        const references = [
          { kind: 'ServiceAccount', name: pod.serviceAccountName ?? 'default' },
          ...pod.containers.flatMap((c) => (c.env ?? []).flatMap((e) => (e.valueFrom?.secretKeyRef ? [{ kind: 'Secret', name: e.valueFrom.secretKeyRef.name }] : []))),
          ...pod.containers.flatMap((c) => (c.envFrom ?? []).map((e) => ({ kind: e.configMapRef ? 'ConfigMap' : 'Secret', name: e.configMapRef?.name ?? e.secretRef?.name ?? '' }))),
          ...(pod.volumes ?? []).flatMap((v) => (v.secret ? [{ kind: 'Secret', name: v.secret.secretName }] : [])),
        ];
        assert.ok(references.some((r) => r.kind === 'Secret'), `${file}: the Job reads the database credentials`);
        for (const reference of references) {
          const object = objects.find((o) => o.kind === reference.kind && o.metadata.name === reference.name);
          if (object === undefined) {
            // Not rendered: it must be something the user names, which exists before `helm install`.
            const values = parseDocument(readFileSync(path.join(chartDir, file), 'utf8')).toJS() as Record<string, Record<string, unknown>>;
            const secretName = (key: string): string | undefined => (values['database']?.[key] as { name?: string } | undefined)?.name;
            const external = [
              values['auth']?.['existingSecret'],
              (values['migration']?.['auth'] as { existingSecret?: string } | undefined)?.existingSecret,
              secretName('sslCaSecret'),
              secretName('sslClientCertificateSecret'),
              'default',
            ];
            assert.ok(external.includes(reference.name), `${file}: ${reference.kind} ${reference.name} is neither rendered nor the user's`);
            continue;
          }
          const hook = hookOf(object);
          assert.deepEqual(hook.events.sort(), ['pre-install', 'pre-upgrade'], `${file}: ${reference.kind} ${reference.name} is a hook of the same events`);
          assert.ok(Number(hook.weight) < Number(hookOf(job).weight), `${file}: ${reference.kind} ${reference.name} is created before the Job`);
          assert.ok(hook.deletePolicy.includes('before-hook-creation'));
        }
      }
    });
  });

  describe('credentials', () => {
    it('has no password in the default values', () => {
      const values = parseDocument(readFileSync(path.join(chartDir, 'values.yaml'), 'utf8')).toJS() as { auth: Record<string, unknown> };
      assert.equal(values.auth['databasePassword'], '');
      assert.equal(values.auth['kafkaSaslPassword'], '');
      assert.equal(values.auth['databaseUrl'], '');
      for (const file of ciValuesFiles) {
        const auth = (parseDocument(readFileSync(path.join(chartDir, file), 'utf8')).toJS() as { auth?: Record<string, string> }).auth ?? {};
        assert.equal(auth['databasePassword'] ?? '', '', file);
        assert.equal(auth['kafkaSaslPassword'] ?? '', '', file);
        if (auth['databaseUrl'] !== undefined) assert.equal(new URL(auth['databaseUrl']).password, '', file);
      }
    });

    it('puts the secrets it is given only into Secrets, base64-encoded, never into ConfigMaps, pod specs or plain text', async () => {
      const secrets = { 'auth.databasePassword': 'S3ntinel-database-7f1c', 'auth.kafkaSaslPassword': 'S3ntinel-sasl-88ab', 'auth.databaseUrl': 'postgres://todo:S3ntinel-url-0c2d@db:5432/todo' };
      const set = { ...secrets, 'kafka.sasl.mechanism': 'scram-sha-512', 'kafka.sasl.username': 'todo', 'scaler.enabled': 'true' };
      const result = await helmTemplate({ set });
      assert.equal(result.exitCode, 0, result.stderr);
      for (const secret of Object.values(secrets)) {
        assert.equal(result.stdout.includes(secret), false, 'never in plain text');
        const encoded = Buffer.from(secret).toString('base64');
        const holders = (await renderChart({ set })).filter((object) => JSON.stringify(object).includes(encoded));
        assert.ok(holders.length > 0);
        assert.deepEqual([...new Set(holders.map((object) => object.kind))], ['Secret']);
      }
    });

    it('renders Secrets with data, never stringData', () => {
      for (const file of ciValuesFiles) {
        for (const secret of objectsOfKind<Secret>(rendered(file), 'Secret')) assert.equal(secret.stringData, undefined, `${file}: ${secret.metadata.name}`);
      }
    });
  });

  describe('the scaler', () => {
    const objects = (): KubeObject[] => rendered('ci/scaler-values.yaml');
    const scalerSettings = (): Map<string, SettingSource> => {
      const container = findObject<Deployment>(objects(), 'Deployment', `${FULLNAME}-scaler`).spec.template.spec.containers[0];
      assert.ok(container);
      return new Map(containerSettings(container, objects()).map((setting) => [setting.name, setting.source]));
    };
    const literal = (source: SettingSource | undefined): string | undefined => (source?.kind === 'configMap' || source?.kind === 'value' ? source.value : undefined);

    it('has a Role limited to the one consumer Deployment, its Lease (no create) and events', () => {
      const role = findObject<Role>(objects(), 'Role', `${FULLNAME}-scaler`);
      assert.deepEqual(role.rules, [
        { apiGroups: ['apps'], resources: ['deployments'], resourceNames: [FULLNAME], verbs: ['get'] },
        { apiGroups: ['apps'], resources: ['deployments/scale'], resourceNames: [FULLNAME], verbs: ['patch'] },
        { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: [`${FULLNAME}-scaler`], verbs: ['get', 'update'] },
        { apiGroups: [''], resources: ['events'], verbs: ['create'] },
      ]);
    });

    it('renders the Role alone with --show-only templates/scaler-role.yaml', async () => {
      const result = await helm(['template', RELEASE, chartDir, '--namespace', NAMESPACE, '--values', path.join(chartDir, 'ci/scaler-values.yaml'), '--show-only', 'templates/scaler-role.yaml']);
      assert.equal(result.exitCode, 0, result.stderr);
      assert.deepEqual(parseManifests(result.stdout).map((object) => `${object.kind}/${object.metadata.name}`), [`Role/${FULLNAME}-scaler`]);
    });

    it('binds that Role to the scaler\'s own ServiceAccount, whose token its pods mount', () => {
      const binding = findObject<RoleBinding>(objects(), 'RoleBinding', `${FULLNAME}-scaler`);
      assert.deepEqual(binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: `${FULLNAME}-scaler` });
      assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: `${FULLNAME}-scaler`, namespace: NAMESPACE }]);
      findObject(objects(), 'ServiceAccount', `${FULLNAME}-scaler`);
      const pod = findObject<Deployment>(objects(), 'Deployment', `${FULLNAME}-scaler`).spec.template.spec;
      assert.equal(pod.serviceAccountName, `${FULLNAME}-scaler`);
      assert.equal(pod.automountServiceAccountToken, true);
      assert.equal(findObject<Deployment>(objects(), 'Deployment', FULLNAME).spec.template.spec.automountServiceAccountToken, false);
    });

    it('names the consumer Deployment and the Lease of the Role, and takes its identity from the pod name', () => {
      const settings = scalerSettings();
      assert.equal(literal(settings.get('SCALER_DEPLOYMENT')), FULLNAME);
      assert.equal(literal(settings.get('SCALER_NAMESPACE')), NAMESPACE);
      const role = findObject<Role>(objects(), 'Role', `${FULLNAME}-scaler`);
      const leaseRule = role.rules.find((rule) => rule.resources.includes('leases') && rule.resourceNames !== undefined);
      assert.deepEqual(leaseRule?.resourceNames, [literal(settings.get('SCALER_LEASE_NAME'))]);
      assert.deepEqual(settings.get('SCALER_IDENTITY'), { kind: 'fieldRef', fieldPath: 'metadata.name' });
      assert.deepEqual(findObject<Deployment>(objects(), 'Deployment', `${FULLNAME}-scaler`).spec.template.spec.containers.map((c) => c.args), [['scaler']]);
    });
  });

  describe('pods', () => {
    const pods = (file: string): { object: KubeObject; labels: Record<string, string> | undefined }[] =>
      rendered(file)
        .filter(isWorkload)
        .map((object) => ({ object, labels: object.kind === 'Pod' ? object.metadata.labels : (object as Deployment | Job).spec.template.metadata.labels }));

    it('run non-root with a read-only root filesystem, no privilege escalation, no capabilities and the runtime seccomp profile', () => {
      for (const file of ciValuesFiles) {
        for (const { object } of pods(file)) {
          const pod = podSpecOf(object);
          const where = `${file}: ${object.kind}/${object.metadata.name}`;
          assert.equal(pod.securityContext?.runAsNonRoot, true, where);
          assert.equal(pod.securityContext?.seccompProfile?.type, 'RuntimeDefault', where);
          assert.equal(pod.enableServiceLinks, false, `${where}: no Service environment variables next to the settings`);
          for (const container of [...pod.containers, ...(pod.initContainers ?? [])]) {
            assert.deepEqual(
              { ...container.securityContext, runAsNonRoot: undefined },
              { runAsNonRoot: undefined, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
              `${where}/${container.name}`,
            );
          }
        }
      }
    });

    it('carry the standard labels, and every selector picks its own pods', () => {
      const standard = ['app.kubernetes.io/name', 'app.kubernetes.io/instance', 'app.kubernetes.io/version', 'app.kubernetes.io/component', 'app.kubernetes.io/managed-by', 'helm.sh/chart'];
      for (const file of ciValuesFiles) {
        const objects = rendered(file);
        for (const object of objects) for (const label of standard) assert.ok(object.metadata.labels?.[label], `${file}: ${object.kind}/${object.metadata.name} lacks ${label}`);
        for (const deployment of objectsOfKind<Deployment>(objects, 'Deployment')) {
          const selector = deployment.spec.selector.matchLabels;
          assert.deepEqual(Object.keys(selector).sort(), ['app.kubernetes.io/component', 'app.kubernetes.io/instance', 'app.kubernetes.io/name']);
          assert.ok(matches(selector, deployment.spec.template.metadata.labels));
          for (const constraint of deployment.spec.template.spec.topologySpreadConstraints ?? []) assert.deepEqual(constraint.labelSelector.matchLabels, selector);
          const others = objectsOfKind<Deployment>(objects, 'Deployment').filter((d) => d !== deployment);
          assert.ok(others.every((other) => !matches(selector, other.spec.template.metadata.labels)), `${file}: ${deployment.metadata.name}'s selector is its own`);
        }
        for (const service of objectsOfKind<Service>(objects, 'Service')) {
          const targets = pods(file).filter(({ labels }) => matches(service.spec.selector, labels));
          assert.equal(targets.length, 1, `${file}: Service ${service.metadata.name} selects one workload`);
          assert.deepEqual(service.spec.ports.map((p) => [p.name, p.targetPort]), [['http-metrics', 'http']]);
        }
      }
    });

    it('probe /livez (startup, liveness) and /readyz (readiness) on the HTTP_PORT, and outlast the shutdown grace', () => {
      for (const file of ciValuesFiles) {
        const objects = rendered(file);
        for (const deployment of objectsOfKind<Deployment>(objects, 'Deployment')) {
          const pod = deployment.spec.template.spec;
          const [container] = pod.containers;
          assert.ok(container);
          const data = findObject<ConfigMap>(objects, 'ConfigMap', container.envFrom?.[0]?.configMapRef?.name ?? '').data ?? {};
          assert.deepEqual(container.ports, [{ name: 'http', containerPort: Number(data['HTTP_PORT']), protocol: 'TCP' }]);
          assert.deepEqual(
            [container.startupProbe?.httpGet, container.livenessProbe?.httpGet, container.readinessProbe?.httpGet],
            [{ path: '/livez', port: 'http' }, { path: '/livez', port: 'http' }, { path: '/readyz', port: 'http' }],
          );
          if (data['SHUTDOWN_GRACE_MS'] !== undefined) assert.ok((pod.terminationGracePeriodSeconds ?? 30) * 1000 > Number(data['SHUTDOWN_GRACE_MS']));
        }
      }
    });

    it('include a ServiceMonitor, PodDisruptionBudgets and a NetworkPolicy for the metrics port when asked to', () => {
      const objects = rendered('ci/everything-values.yaml');
      const monitor = findObject(objects, 'ServiceMonitor', FULLNAME) as KubeObject & {
        spec: {
          selector: { matchLabels: Record<string, string> };
          namespaceSelector: { matchNames: string[] };
          endpoints: { port: string; path: string; relabelings?: { targetLabel?: string }[]; metricRelabelings?: { action?: string }[] }[];
        };
      };
      assert.equal(monitor.metadata.namespace, 'monitoring', 'in the namespace Prometheus watches');
      assert.deepEqual(monitor.spec.namespaceSelector.matchNames, [NAMESPACE], 'selecting the release\'s Services all the same');
      assert.deepEqual(monitor.spec.endpoints.map((e) => [e.relabelings?.map((r) => r.targetLabel), e.metricRelabelings?.map((r) => r.action)]), [[['node'], ['drop']]]);
      const services = objectsOfKind<Service>(objects, 'Service');
      assert.deepEqual(services.filter((s) => matches(monitor.spec.selector.matchLabels, s.metadata.labels)).map((s) => s.metadata.name).sort(), [FULLNAME, `${FULLNAME}-scaler`]);
      assert.deepEqual(monitor.spec.endpoints.map((e) => [e.port, e.path]), [['http-metrics', '/metrics']]);
      assert.equal(monitor.metadata.labels?.['release'], 'prometheus');
      assert.deepEqual(objectsOfKind(objects, 'PodDisruptionBudget').map((o) => o.metadata.name).sort(), [FULLNAME, `${FULLNAME}-scaler`]);
      const policy = findObject(objects, 'NetworkPolicy', FULLNAME) as KubeObject & { spec: { ingress: { ports: { port: string }[] }[] } };
      assert.deepEqual(policy.spec.ingress.map((rule) => rule.ports.map((p) => p.port)), [['http']]);
      for (const file of ['ci/defaults-values.yaml', 'ci/scaler-values.yaml']) {
        assert.deepEqual(rendered(file).filter((o) => ['ServiceMonitor', 'PodDisruptionBudget', 'NetworkPolicy'].includes(o.kind)), [], file);
      }
    });
  });

  describe('the helm test pod', () => {
    it('is a test hook that runs the image\'s entrypoint with `migrate check`', () => {
      const pod = findObject<Pod>(rendered('ci/defaults-values.yaml'), 'Pod', `${FULLNAME}-test-schema`);
      assert.equal(hookOf(pod).events.join(), 'test');
      assert.equal(pod.spec.containers[0]?.command, undefined);
      assert.deepEqual(pod.spec.containers[0]?.args, ['migrate', 'check']);
    });

    it('checks the brokers and the topic with `topic check --partitions <kafka.topic.partitions>`, without database credentials', async () => {
      const pod = findObject<Pod>(await renderChart({ valuesFiles: ['ci/defaults-values.yaml'], set: { 'kafka.topic.partitions': '6' } }), 'Pod', `${FULLNAME}-test-kafka`);
      assert.equal(hookOf(pod).events.join(), 'test');
      const [container] = pod.spec.containers;
      assert.deepEqual(container?.args, ['topic', 'check', '--partitions', '6']);
      assert.deepEqual((container?.env ?? []).map((env) => env.name).filter((name) => name.startsWith('DATABASE_')), []);
      assert.deepEqual(pod.spec.volumes ?? [], []);
    });
  });
});
