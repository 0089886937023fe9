import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { chartDir, helm, helmTemplate, NAMESPACE, RELEASE, renderChart, type RenderOptions } from '../support/kubernetes/helm-chart.js';
import { kubeconform } from '../support/kubernetes/kubeconform.js';
import {
  findObject,
  isWorkload,
  objectsOfKind,
  parseManifests,
  podSpecOf,
  type ConfigMap,
  type Deployment,
  type Job,
  type KubeObject,
  type Pod,
  type PodTemplate,
  type Role,
} from '../support/kubernetes/manifests.js';

// The first run may build helm and kubeconform from source.
const TOOL_BUILD_TIMEOUT_MS = 30 * 60_000;
const FULLNAME = `${RELEASE}-todo-history`;
const defaults = ['ci/defaults-values.yaml'];

const render = (set: Record<string, string> = {}, valuesFiles: readonly string[] = defaults): Promise<KubeObject[]> => renderChart({ valuesFiles, set });
const consumer = (objects: readonly KubeObject[]): Deployment => findObject<Deployment>(objects, 'Deployment', FULLNAME);
const scaler = (objects: readonly KubeObject[]): Deployment => findObject<Deployment>(objects, 'Deployment', `${FULLNAME}-scaler`);
const job = (objects: readonly KubeObject[]): Job => findObject<Job>(objects, 'Job', `${FULLNAME}-migrate`);
const envOf = (pod: { containers: { env?: { name: string; value?: string }[] }[] }): Record<string, string | undefined> =>
  Object.fromEntries((pod.containers[0]?.env ?? []).map((entry) => [entry.name, entry.value]));
const annotation = (deployment: Deployment, name: string): string | undefined => deployment.spec.template.metadata.annotations?.[name];
const podTemplates = (objects: readonly KubeObject[]): [string, PodTemplate | Pod][] =>
  objects.filter(isWorkload).map((object) => [`${object.kind}/${object.metadata.name}`, object.kind === 'Pod' ? (object as Pod) : (object as Deployment | Job).spec.template]);

describe('Helm chart: upgrades, rollbacks, rotation and composition', { timeout: TOOL_BUILD_TIMEOUT_MS }, () => {
  describe('the migration Job', () => {
    it('has timeouts of its own: no statement timeout and a lock timeout, while the consumer keeps its 30 s statement timeout', async () => {
      const objects = await render();
      assert.deepEqual(
        [envOf(job(objects).spec.template.spec)['DATABASE_STATEMENT_TIMEOUT_MS'], envOf(job(objects).spec.template.spec)['DATABASE_LOCK_TIMEOUT_MS']],
        ['0', '10000'],
      );
      const settings = findObject<ConfigMap>(objects, 'ConfigMap', FULLNAME).data ?? {};
      assert.deepEqual([settings['DATABASE_STATEMENT_TIMEOUT_MS'], settings['DATABASE_LOCK_TIMEOUT_MS']], ['30000', '0']);
      const tuned = job(await render({ 'migration.statementTimeoutMs': '7200000', 'migration.lockTimeoutMs': '2000', 'migration.activeDeadlineSeconds': 'null' }));
      assert.deepEqual([envOf(tuned.spec.template.spec)['DATABASE_STATEMENT_TIMEOUT_MS'], envOf(tuned.spec.template.spec)['DATABASE_LOCK_TIMEOUT_MS']], ['7200000', '2000']);
      assert.equal('activeDeadlineSeconds' in tuned.spec, false, 'null means no deadline');
    });

    it('takes its own annotations, nodeSelector, tolerations, affinity and volumes', async () => {
      const objects = await render({}, ['ci/everything-values.yaml']);
      const template = job(objects).spec.template as PodTemplate & { spec: { nodeSelector?: Record<string, string>; tolerations?: { key: string }[]; affinity?: object } };
      assert.equal(template.metadata.annotations?.['sidecar.istio.io/inject'], 'false');
      assert.deepEqual(template.spec.nodeSelector, { 'example.com/pool': 'batch', 'kubernetes.io/os': 'linux' });
      assert.deepEqual(template.spec.tolerations?.map((t) => t.key).sort(), ['batch', 'dedicated']);
      assert.ok(template.spec.affinity && 'nodeAffinity' in template.spec.affinity);
      assert.ok(template.spec.containers[0]?.volumeMounts?.some((m) => m.name === 'tmp' && m.mountPath === '/tmp'));
    });

    it('is left out with migration.enabled=false, with its Secret and ServiceAccount', async () => {
      const hooks = (objects: KubeObject[]): string[] => objects.filter((o) => o.metadata.name.endsWith('-migrate')).map((o) => `${o.kind}/${o.metadata.name}`);
      assert.deepEqual(hooks(await render()).sort(), [`Job/${FULLNAME}-migrate`, `Secret/${FULLNAME}-migrate`, `ServiceAccount/${FULLNAME}-migrate`]);
      assert.deepEqual(hooks(await render({ 'migration.enabled': 'false' })), []);
    });
  });

  describe('credential rotation', () => {
    it('rolls the pods that read a chart-created credential when it changes, and only those', async () => {
      const sasl = { 'scaler.enabled': 'true', 'kafka.sasl.mechanism': 'plain', 'kafka.sasl.username': 'todo' };
      const before = await render({ ...sasl, 'auth.databasePassword': 'one', 'auth.kafkaSaslPassword': 'sasl-one' });
      const newDatabasePassword = await render({ ...sasl, 'auth.databasePassword': 'two', 'auth.kafkaSaslPassword': 'sasl-one' });
      const newSaslPassword = await render({ ...sasl, 'auth.databasePassword': 'one', 'auth.kafkaSaslPassword': 'sasl-two' });
      const checksum = (objects: KubeObject[]): [string | undefined, string | undefined] => [annotation(consumer(objects), 'checksum/secret'), annotation(scaler(objects), 'checksum/secret')];
      const [consumerBefore, scalerBefore] = checksum(before);
      assert.ok(consumerBefore !== undefined && scalerBefore !== undefined);
      assert.notEqual(checksum(newDatabasePassword)[0], consumerBefore, 'a new database password rolls the consumer');
      assert.equal(checksum(newDatabasePassword)[1], scalerBefore, 'but not the scaler, which never reads it');
      assert.notEqual(checksum(newSaslPassword)[0], consumerBefore);
      assert.notEqual(checksum(newSaslPassword)[1], scalerBefore);
      assert.equal(JSON.stringify(before).includes('sasl-one'), false);
      assert.equal(annotation(consumer(await render({ 'auth.existingSecret': 'creds' })), 'checksum/secret'), undefined, 'an existing Secret is not the chart\'s to hash');
    });
  });

  describe('under an umbrella chart and GitOps', () => {
    it('accepts `global`, which an umbrella chart passes to every subchart', async () => {
      const result = await helmTemplate({ valuesFiles: defaults, set: { 'global.imageRegistry': 'registry.example.com', 'global.storageClass': 'fast' } });
      assert.equal(result.exitCode, 0, result.stderr);
    });

    it('still rejects what would break a pod: an extra volume named like the chart\'s own, a malformed variable name, an unknown strategy', async () => {
      const rejected = async (options: Pick<RenderOptions, 'set' | 'setJson'>, expected: RegExp): Promise<void> => {
        const result = await helmTemplate({ valuesFiles: defaults, ...options });
        assert.equal(result.exitCode, 1, `${JSON.stringify(options)} was accepted`);
        assert.match(result.stderr, expected);
      };
      await rejected({ setJson: { extraVolumes: [{ name: 'credentials', emptyDir: { medium: 'Memory' } }] } }, /at '\/extraVolumes\/0\/name': 'not' failed/);
      await rejected({ setJson: { 'scaler.extraEnvVars': [{ name: '1BAD', value: 'x' }] } }, /at '\/scaler\/extraEnvVars\/0\/name': '1BAD' does not match pattern/);
      await rejected({ set: { 'scaler.strategy.type': 'BlueGreen' } }, /at '\/scaler\/strategy\/type': value must be one of 'RollingUpdate', 'Recreate'/);
      await rejected({ set: { 'migration.lockTimeoutMs': '-1' } }, /at '\/migration\/lockTimeoutMs': minimum: got -1, want 0/);
    });

    it('renders values that lack every key this chart version added, as `helm upgrade --reuse-values` of an older release passes them', async () => {
      const added = [
        'global', 'enabled', 'image.registry', 'imagePullSecrets', 'affinity', 'strategy', 'minReadySeconds', 'extraEnvVars', 'extraEnvFrom', 'extraVolumes', 'extraVolumeMounts',
        'podSecurityContext', 'containerSecurityContext', 'rbac', 'database.lockTimeoutMs', 'migration.enabled', 'migration.statementTimeoutMs', 'migration.lockTimeoutMs',
        'migration.podAnnotations', 'migration.nodeSelector', 'migration.tolerations', 'migration.affinity', 'migration.extraEnvVars', 'migration.extraEnvFrom',
        'migration.extraVolumes', 'migration.extraVolumeMounts', 'scaler.serviceAccount', 'scaler.affinity', 'scaler.strategy', 'scaler.minReadySeconds', 'scaler.extraEnvVars',
        'scaler.extraEnvFrom', 'scaler.extraVolumes', 'scaler.extraVolumeMounts', 'kafka.ssl.clientCertificateSecret', 'database.sslClientCertificateSecret', 'timescaledb',
        ...['startup', 'liveness', 'readiness'].flatMap((probe) => [`probes.${probe}.initialDelaySeconds`, `probes.${probe}.timeoutSeconds`]),
      ];
      const objects = await render({ ...Object.fromEntries(added.map((key) => [key, 'null'])), 'scaler.enabled': 'true' });
      assert.deepEqual(envOf(job(objects).spec.template.spec)['DATABASE_LOCK_TIMEOUT_MS'], '10000', 'the migration still runs, with its lock timeout');
      for (const [where, template] of podTemplates(objects)) {
        assert.equal(template.spec.securityContext?.runAsNonRoot, true, where);
        assert.equal(template.spec.securityContext?.seccompProfile?.type, 'RuntimeDefault', where);
        assert.equal(template.spec.containers[0]?.securityContext?.readOnlyRootFilesystem, true, where);
      }
    });

    it('adds extraEnvVars, extraEnvFrom, extraVolumes and extraVolumeMounts (lists, as in a pod spec) to each workload, valid for kubeconform -strict', async () => {
      const extras = (prefix: string): Record<string, unknown> => ({
        [`${prefix}extraEnvVars`]: [{ name: 'NODE_OPTIONS', value: '--max-old-space-size=300' }, { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
        [`${prefix}extraEnvFrom`]: [{ configMapRef: { name: 'proxy-settings' } }],
        [`${prefix}extraVolumes`]: [{ name: 'ca', configMap: { name: 'corporate-ca' } }],
        [`${prefix}extraVolumeMounts`]: [{ name: 'ca', mountPath: '/etc/corporate-ca', readOnly: true }],
      });
      const options: RenderOptions = { valuesFiles: defaults, set: { 'scaler.enabled': 'true' }, setJson: { ...extras(''), ...extras('scaler.'), ...extras('migration.') } };
      const objects = await renderChart(options);
      for (const workload of [consumer(objects), scaler(objects), job(objects)]) {
        const pod = podSpecOf(workload);
        const [container] = pod.containers;
        const where = workload.metadata.name;
        assert.ok(container, where);
        assert.equal(container.env?.find((e) => e.name === 'NODE_OPTIONS')?.value, '--max-old-space-size=300', where);
        assert.deepEqual(container.env?.find((e) => e.name === 'NODE_NAME')?.valueFrom, { fieldRef: { fieldPath: 'spec.nodeName' } }, where);
        assert.ok(container.envFrom?.some((source) => source.configMapRef?.name === 'proxy-settings'), where);
        assert.ok(container.volumeMounts?.some((mount) => mount.name === 'ca' && mount.mountPath === '/etc/corporate-ca'), where);
        assert.ok(pod.volumes?.some((volume) => volume.name === 'ca'), where);
      }
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'todo-history-extras-'));
      try {
        const file = path.join(dir, 'extras.yaml');
        await fs.writeFile(file, (await helmTemplate(options)).stdout);
        const report = await kubeconform([file]);
        assert.equal(report.exitCode, 0, report.resources.filter((r) => r.status !== 'statusValid').map((r) => `${r.kind}/${r.name}: ${r.msg}`).join('\n'));
      } finally {
        await fs.rm(dir, { recursive: true, force: true });
      }
    });

    it('renders strategy, minReadySeconds and affinity of each Deployment', async () => {
      const objects = await render({}, ['ci/everything-values.yaml']);
      const spec = (d: Deployment): Record<string, unknown> => d.spec as unknown as Record<string, unknown>;
      assert.deepEqual(spec(consumer(objects))['strategy'], { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
      assert.equal(spec(consumer(objects))['minReadySeconds'], 10);
      assert.deepEqual(spec(scaler(objects))['strategy'], { type: 'Recreate' });
      for (const deployment of [consumer(objects), scaler(objects)]) assert.ok('affinity' in deployment.spec.template.spec, deployment.metadata.name);
    });

    it('lets the security contexts be adapted (OpenShift assigns the user) and keeps the strict ones by default', async () => {
      const objects = await render({ 'podSecurityContext.runAsUser': 'null', 'podSecurityContext.runAsGroup': 'null', 'podSecurityContext.fsGroup': 'null' });
      for (const [where, template] of podTemplates(objects)) {
        assert.deepEqual(template.spec.securityContext, { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } }, where);
        assert.deepEqual(template.spec.containers[0]?.securityContext, { runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } }, where);
      }
    });

    it('keeps the workloads\' pod templates the same when only the chart version changes: no chart or version label on them', async () => {
      const copy = await fs.mkdtemp(path.join(os.tmpdir(), 'todo-history-chart-'));
      try {
        await fs.cp(chartDir, copy, { recursive: true });
        const chartYaml = path.join(copy, 'Chart.yaml');
        await fs.writeFile(chartYaml, (await fs.readFile(chartYaml, 'utf8')).replace(/^version: .*$/m, 'version: 9.9.9').replace(/^appVersion: .*$/m, 'appVersion: "9.9.9"'));
        const args = (dir: string): string[] => ['template', RELEASE, dir, '--namespace', NAMESPACE, '--values', path.join(chartDir, 'ci/scaler-values.yaml'), '--set', 'image.tag=1.0.0'];
        const [current, bumped] = await Promise.all([helm(args(chartDir)), helm(args(copy))]);
        assert.equal(bumped.exitCode, 0, bumped.stderr);
        // A bare Pod (the helm test hook) is no template: it is made anew at each `helm test`.
        const workloadTemplates = (text: string): [string, PodTemplate | Pod][] => podTemplates(parseManifests(text)).filter(([where]) => !where.startsWith('Pod/'));
        const templates = (text: string): string => JSON.stringify(workloadTemplates(text));
        assert.equal(templates(bumped.stdout), templates(current.stdout));
        for (const [where, template] of workloadTemplates(current.stdout)) {
          assert.equal(template.metadata.labels?.['helm.sh/chart'], undefined, where);
          assert.equal(template.metadata.labels?.['app.kubernetes.io/version'], undefined, where);
        }
      } finally {
        await fs.rm(copy, { recursive: true, force: true });
      }
    });
  });

  describe('names, budgets and the Lease', () => {
    it('shortens the full name before adding a suffix, so long release names neither lose the suffix nor collide', async () => {
      const names = async (release: string): Promise<string[]> => {
        const result = await helm(['template', release, chartDir, '--namespace', NAMESPACE, '--values', path.join(chartDir, 'ci/everything-values.yaml')]);
        assert.equal(result.exitCode, 0, result.stderr);
        return parseManifests(result.stdout).map((object) => `${object.kind}/${object.metadata.name}`);
      };
      const long = 'a'.repeat(50);
      const [first, second] = await Promise.all([names(`${long}-x1`), names(`${long}-y2`)]);
      for (const list of [first, second]) {
        assert.equal(new Set(list).size, list.length, 'no two objects of one kind share a name');
        for (const name of list) assert.ok(name.split('/')[1]!.length <= 63, name);
        assert.ok(list.some((name) => name.startsWith('Deployment/') && name.endsWith('-scaler')));
        assert.ok(list.some((name) => name.startsWith('Job/') && name.endsWith('-migrate')));
      }
      assert.deepEqual(first.filter((name) => second.includes(name)), [], 'two releases share no name');
    });

    it('lets a PodDisruptionBudget evict unready pods (unhealthyPodEvictionPolicy: AlwaysAllow)', async () => {
      const budgets = objectsOfKind<KubeObject & { spec: { unhealthyPodEvictionPolicy?: string } }>(await render({}, ['ci/everything-values.yaml']), 'PodDisruptionBudget');
      assert.equal(budgets.length, 2);
      for (const budget of budgets) assert.equal(budget.spec.unhealthyPodEvictionPolicy, 'AlwaysAllow', budget.metadata.name);
    });

    it('renders the scaler\'s Lease as a resource of the release, named as the scaler is told, and grants no create', async () => {
      const objects = await render({}, ['ci/scaler-values.yaml']);
      const lease = findObject(objects, 'Lease', `${FULLNAME}-scaler`) as KubeObject & { spec?: Record<string, unknown> };
      assert.deepEqual(lease.spec, {}, 'no holder: the scaler writes it');
      assert.equal(findObject<ConfigMap>(objects, 'ConfigMap', `${FULLNAME}-scaler`).data?.['SCALER_LEASE_NAME'], lease.metadata.name);
      const role = findObject<Role>(objects, 'Role', `${FULLNAME}-scaler`);
      assert.deepEqual(role.rules.filter((rule) => rule.resources.includes('leases')), [
        { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: [lease.metadata.name], verbs: ['get', 'update'] },
      ]);
      assert.deepEqual(objectsOfKind(await render(), 'Lease'), [], 'no scaler, no Lease');
    });
  });
});
