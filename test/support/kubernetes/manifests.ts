import { parseAllDocuments } from 'yaml';

/** The parts of Kubernetes objects the chart checks read. */
export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: { name: string; key: string };
    configMapKeyRef?: { name: string; key: string };
    fieldRef?: { fieldPath: string };
  };
}

export interface EnvFromSource {
  configMapRef?: { name: string };
  secretRef?: { name: string };
}

export interface Probe {
  httpGet?: { path: string; port: string | number };
  exec?: { command: string[] };
}

export interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  allowPrivilegeEscalation?: boolean;
  readOnlyRootFilesystem?: boolean;
  capabilities?: { drop?: string[] };
  seccompProfile?: { type: string };
}

export interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  envFrom?: EnvFromSource[];
  ports?: { name?: string; containerPort: number }[];
  volumeMounts?: { name: string; mountPath: string }[];
  startupProbe?: Probe;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  securityContext?: SecurityContext;
}

export interface Volume {
  name: string;
  secret?: { secretName: string; items?: { key: string; path: string }[] };
}

export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  volumes?: Volume[];
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  enableServiceLinks?: boolean;
  terminationGracePeriodSeconds?: number;
  securityContext?: SecurityContext;
  topologySpreadConstraints?: { topologyKey: string; labelSelector: { matchLabels: Record<string, string> } }[];
}

export interface PodTemplate {
  metadata: ObjectMeta;
  spec: PodSpec;
}

export interface Deployment extends KubeObject {
  kind: 'Deployment';
  spec: { replicas?: number; selector: { matchLabels: Record<string, string> }; template: PodTemplate };
}

export interface StatefulSet extends KubeObject {
  kind: 'StatefulSet';
  spec: { serviceName: string; template: PodTemplate };
}

export interface Job extends KubeObject {
  kind: 'Job';
  spec: { template: PodTemplate };
}

export interface Pod extends KubeObject {
  kind: 'Pod';
  spec: PodSpec;
}

export interface ConfigMap extends KubeObject {
  kind: 'ConfigMap';
  data?: Record<string, string>;
}

export interface Secret extends KubeObject {
  kind: 'Secret';
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  resourceNames?: string[];
  verbs: string[];
}

export interface Role extends KubeObject {
  kind: 'Role';
  rules: PolicyRule[];
}

export interface RoleBinding extends KubeObject {
  kind: 'RoleBinding';
  roleRef: { apiGroup: string; kind: string; name: string };
  subjects: { kind: string; name: string; namespace?: string }[];
}

export interface Service extends KubeObject {
  kind: 'Service';
  spec: { selector: Record<string, string>; clusterIP?: string; publishNotReadyAddresses?: boolean; ports: { name: string; port: number; targetPort: string | number }[] };
}

/** Every object of a multi-document YAML stream, skipping empty documents. */
export function parseManifests(text: string): KubeObject[] {
  return parseAllDocuments(text)
    .map((document) => {
      if (document.errors.length > 0) throw new Error(`invalid YAML: ${document.errors.map((e) => e.message).join('; ')}`);
      return document.toJS() as KubeObject | null;
    })
    .filter((object): object is KubeObject => object !== null);
}

export function objectsOfKind<T extends KubeObject>(objects: readonly KubeObject[], kind: T['kind']): T[] {
  return objects.filter((object): object is T => object.kind === kind);
}

/** The one object of `kind` named `name`; throws when there is none. */
export function findObject<T extends KubeObject>(objects: readonly KubeObject[], kind: T['kind'], name: string): T {
  const found = objectsOfKind<T>(objects, kind).find((object) => object.metadata.name === name);
  if (found === undefined) throw new Error(`no ${kind} ${name} among ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  return found;
}

/** The pod spec of a workload (Deployment, Job) or a bare Pod. */
export function podSpecOf(object: KubeObject): PodSpec {
  if (object.kind === 'Pod') return (object as Pod).spec;
  return (object as Deployment | Job).spec.template.spec;
}

export function isWorkload(object: KubeObject): boolean {
  return ['Deployment', 'StatefulSet', 'Job', 'Pod'].includes(object.kind);
}
