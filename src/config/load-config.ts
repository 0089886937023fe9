import { readFileSync } from 'node:fs';
import convict from 'convict';
import { ConfigError } from './config-error.js';
import { configFormats } from './config-formats.js';
import { configKeys, type ConfigKey } from './config-keys.js';
import { configSchema, type AppConfig, type KafkaConnectionConfig } from './config-schema.js';
import { parseDatabaseUrl } from './database-url.js';

convict.addFormats(configFormats);

export type Environment = Readonly<Record<string, string | undefined>>;

/** Reads `<env>_FILE` for every secret setting, the way a mounted Kubernetes Secret is consumed. */
function readSecretFiles(env: Environment, keys: readonly ConfigKey[], problems: string[]): Record<string, string | undefined> {
  const resolved: Record<string, string | undefined> = { ...env };
  for (const { key, env: name, sensitive } of keys) {
    const file = env[`${name}_FILE`];
    if (!sensitive || file === undefined) continue;
    if (env[name] !== undefined) {
      problems.push(`${key} (${name}, ${name}_FILE): set only one of them`);
      continue;
    }
    try {
      resolved[name] = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (error) {
      const reason = error instanceof Error && 'code' in error ? String(error.code) : 'unreadable';
      problems.push(`${key} (${name}_FILE): cannot read ${file}: ${reason}`);
    }
  }
  return resolved;
}

function describe(key: ConfigKey | undefined, line: string): string {
  return key === undefined ? line : line.replace(`${key.key}:`, `${key.key} (${key.env}):`);
}

/** Convict reports all invalid keys at once, one per line, each starting with the dotted key. */
function validationProblems<T>(config: convict.Config<T>, keys: readonly ConfigKey[]): string[] {
  try {
    config.validate({ allowed: 'strict' });
    return [];
  } catch (error) {
    const lines = (error instanceof Error ? error.message : String(error)).split('\n');
    return lines.map((line) => describe(keys.find((k) => line.startsWith(`${k.key}:`)), line));
  }
}

/** SASL needs both credentials once a mechanism is chosen. */
export function kafkaConnectionProblems({ sasl }: KafkaConnectionConfig): string[] {
  if (sasl.mechanism === 'none') return [];
  const problems: string[] = [];
  if (sasl.username === '') problems.push(`kafka.sasl.username (KAFKA_SASL_USERNAME): required when KAFKA_SASL_MECHANISM is ${sasl.mechanism}`);
  if (sasl.password === '') problems.push(`kafka.sasl.password (KAFKA_SASL_PASSWORD): required when KAFKA_SASL_MECHANISM is ${sasl.mechanism}`);
  return problems;
}

/**
 * Loads and validates a whole configuration from the environment: each key by its format, then the
 * rules that tie keys together.
 * @throws ConfigError naming every bad key, before anything connects anywhere.
 */
export function loadConfigWith<T>(
  schema: convict.Schema<T>,
  keys: readonly ConfigKey[],
  env: Environment,
  crossFieldProblems: (config: T) => string[],
): T {
  const problems: string[] = [];
  const config = convict(schema, { env: readSecretFiles(env, keys, problems), args: [] });
  problems.push(...validationProblems(config, keys));
  if (problems.length === 0) problems.push(...crossFieldProblems(config.getProperties()));
  if (problems.length > 0) throw new ConfigError(problems);
  return config.getProperties();
}

/** An `sslmode` in DATABASE_URL is honoured; DATABASE_SSL_MODE, when also set, must say the same. */
function sslModeProblems(database: AppConfig['database'], env: Environment): string[] {
  const fromUrl = parseDatabaseUrl(database.url).settings.sslMode;
  if (fromUrl === undefined || env.DATABASE_SSL_MODE === undefined || fromUrl === database.sslMode) return [];
  return ['database.sslMode (DATABASE_SSL_MODE): differs from the sslmode in DATABASE_URL; set only one of them'];
}

/** The consumer's configuration, with DATABASE_URL's sslmode in effect. @throws ConfigError naming every bad key. */
export function loadConfig(env: Environment): AppConfig {
  const config = loadConfigWith(configSchema, configKeys, env, (config) => [
    ...kafkaConnectionProblems(config.kafka),
    ...(config.database.poolSize < config.kafka.partitionsConsumedConcurrently
      ? ['database.poolSize (DATABASE_POOL_SIZE): must be at least KAFKA_PARTITIONS_CONSUMED_CONCURRENTLY']
      : []),
    ...sslModeProblems(config.database, env),
  ]);
  const sslMode = parseDatabaseUrl(config.database.url).settings.sslMode ?? config.database.sslMode;
  return { ...config, database: { ...config.database, sslMode } };
}
