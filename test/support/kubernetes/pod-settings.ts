import path from 'node:path';
import type { ConfigKey } from '../../../src/config/config-keys.js';
import { findObject, type ConfigMap, type Container, type KubeObject, type PodSpec, type Secret } from './manifests.js';

/** Where a container's environment variable comes from. */
export type SettingSource =
  | { kind: 'configMap'; configMap: string; value: string }
  | { kind: 'value'; value: string }
  | { kind: 'secretKeyRef'; secret: string; key: string }
  | { kind: 'fieldRef'; fieldPath: string };

export interface Setting {
  name: string;
  source: SettingSource;
}

/** A setting resolved against the application's schema. */
export type ClassifiedSetting =
  | { name: string; key: ConfigKey; via: 'plain'; source: Exclude<SettingSource, { kind: 'secretKeyRef' }> }
  | { name: string; key: ConfigKey; via: 'secretKeyRef'; secret: string; secretKey: string }
  | { name: string; key: ConfigKey; via: 'file'; secret: string; secretKey: string }
  | { name: string; problem: string };

/** Every environment variable of a container: envFrom ConfigMaps (looked up among `objects`) and env entries. */
export function containerSettings(container: Container, objects: readonly KubeObject[]): Setting[] {
  const fromConfigMaps = (container.envFrom ?? []).flatMap((source): Setting[] => {
    if (source.configMapRef === undefined) throw new Error(`${container.name}: envFrom other than a ConfigMap: ${JSON.stringify(source)}`);
    const configMap = findObject<ConfigMap>(objects, 'ConfigMap', source.configMapRef.name);
    return Object.entries(configMap.data ?? {}).map(([name, value]) => ({ name, source: { kind: 'configMap', configMap: configMap.metadata.name, value } }));
  });
  const fromEnv = (container.env ?? []).map((entry): Setting => {
    const { secretKeyRef, fieldRef } = entry.valueFrom ?? {};
    if (secretKeyRef !== undefined) return { name: entry.name, source: { kind: 'secretKeyRef', secret: secretKeyRef.name, key: secretKeyRef.key } };
    if (fieldRef !== undefined) return { name: entry.name, source: { kind: 'fieldRef', fieldPath: fieldRef.fieldPath } };
    if (entry.valueFrom !== undefined) throw new Error(`${container.name}: unexpected valueFrom of ${entry.name}: ${JSON.stringify(entry.valueFrom)}`);
    return { name: entry.name, source: { kind: 'value', value: entry.value ?? '' } };
  });
  return [...fromConfigMaps, ...fromEnv];
}

/** The Secret key behind a file path: a mounted Secret volume with an item at that path. */
/** The Secret and key a container reads at `file`: a Secret volume mounted above it that projects that path. */
export function mountedSecretKey(pod: PodSpec, container: Container, file: string): { secret: string; key: string } | undefined {
  for (const mount of container.volumeMounts ?? []) {
    const relative = path.posix.relative(mount.mountPath, file);
    if (relative.startsWith('..') || path.posix.isAbsolute(relative)) continue;
    const secret = pod.volumes?.find((volume) => volume.name === mount.name)?.secret;
    const item = secret?.items?.find((candidate) => candidate.path === relative);
    if (secret !== undefined && item !== undefined) return { secret: secret.secretName, key: item.key };
  }
  return undefined;
}

/**
 * Resolves each setting to a key of the schema: `NAME` plain or from a Secret, or `NAME_FILE` naming a file
 * of a mounted Secret. Anything else is reported as a problem: an unknown variable, a secret passed in plain
 * text, a non-secret taken from a Secret, a `_FILE` that points at no mounted Secret key.
 */
export function classifySettings(settings: readonly Setting[], keys: readonly ConfigKey[], pod: PodSpec, container: Container): ClassifiedSetting[] {
  return settings.map(({ name, source }): ClassifiedSetting => {
    const key = keys.find((candidate) => candidate.env === name);
    if (key !== undefined) {
      if (source.kind === 'secretKeyRef') {
        return key.sensitive
          ? { name, key, via: 'secretKeyRef', secret: source.secret, secretKey: source.key }
          : { name, problem: `${name} is not a secret but comes from Secret ${source.secret}` };
      }
      return key.sensitive ? { name, problem: `${name} is a secret but is set from a ${source.kind}` } : { name, key, via: 'plain', source };
    }
    const fileOf = keys.find((candidate) => `${candidate.env}_FILE` === name);
    if (fileOf === undefined) return { name, problem: `${name} is not a setting of the application` };
    if (!fileOf.sensitive) return { name, problem: `${name}: only secrets are read from <NAME>_FILE` };
    if (source.kind !== 'value') return { name, problem: `${name} must be a literal path, not a ${source.kind}` };
    const mounted = mountedSecretKey(pod, container, source.value);
    if (mounted === undefined) return { name, problem: `${name} = ${source.value} is no key of a mounted Secret` };
    return { name, key: fileOf, via: 'file', secret: mounted.secret, secretKey: mounted.key };
  });
}

/** A stand-in for the value of a Secret the chart does not render (an existingSecret), valid for its setting. */
function placeholderFor(key: ConfigKey): string {
  return key.env === 'DATABASE_URL' ? 'postgres://todo_history@database.invalid:5432/todo_history' : `placeholder-${key.env.toLowerCase()}`;
}

/**
 * The environment the container would see, for the application's own config loader: ConfigMap and literal
 * values as they are, Secret values decoded from the rendered Secret (or a placeholder for an existing one),
 * files read as the variable they stand for, downward-API fields as a pod name.
 */
export function effectiveEnvironment(settings: readonly ClassifiedSetting[], objects: readonly KubeObject[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const setting of settings) {
    if (!('key' in setting)) throw new Error(setting.problem);
    if (setting.via === 'plain') {
      const { source } = setting;
      env[setting.name] = source.kind === 'fieldRef' ? 'history-todo-history-scaler-7d9f8-abcde' : source.value;
      continue;
    }
    const rendered = objects.find((object): object is Secret => object.kind === 'Secret' && object.metadata.name === setting.secret);
    if (rendered === undefined) {
      env[setting.key.env] = placeholderFor(setting.key);
      continue;
    }
    const encoded = rendered.data?.[setting.secretKey];
    if (encoded === undefined) throw new Error(`${setting.name}: Secret ${setting.secret} has no key ${setting.secretKey}`);
    env[setting.key.env] = Buffer.from(encoded, 'base64').toString('utf8');
  }
  return env;
}
