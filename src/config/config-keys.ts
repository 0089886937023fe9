import type convict from 'convict';
import { configSchema, timescaledbPolicySchema } from './config-schema.js';

/** One leaf of a config schema: its dotted key, environment variable and whether it holds a secret. */
export interface ConfigKey {
  key: string;
  env: string;
  sensitive: boolean;
  doc: string;
}

function isLeaf(node: object): node is convict.SchemaObj {
  return 'default' in node;
}

function collectKeys(node: object, prefix: string): ConfigKey[] {
  if (isLeaf(node)) {
    return [{ key: prefix, env: String(node.env), sensitive: node.sensitive === true, doc: node.doc ?? '' }];
  }
  return Object.entries(node).flatMap(([name, child]: [string, object]) =>
    collectKeys(child, prefix === '' ? name : `${prefix}.${name}`),
  );
}

/** Every setting of a schema, in schema order. Secrets can also be read from a file named by `<env>_FILE`. */
export function configKeysOf(schema: object): readonly ConfigKey[] {
  return collectKeys(schema, '');
}

/** The consumer's settings. */
export const configKeys: readonly ConfigKey[] = configKeysOf(configSchema);

/**
 * The consumer's settings that only `migrate` reads: the chart gives them to the migration Job alone, so that
 * changing one rolls no consumer pod.
 */
export const migrateOnlyConfigKeys: readonly ConfigKey[] = configKeysOf({ timescaledb: timescaledbPolicySchema });
