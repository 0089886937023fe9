import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import convict from 'convict';
import { ConfigError } from './config-error.js';
import { configFormats } from './config-formats.js';
import { configKeys, type ConfigKey } from './config-keys.js';
import { configSchema, type AppConfig, type KafkaConnectionConfig } from './config-schema.js';
import { parseDatabaseUrl } from './database-url.js';
import { timescaledbPolicyProblems } from './timescaledb-policy-problems.js';

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

/** A setting as problems name it: dotted key and environment variable. */
interface FileSetting {
  key: string;
  env: string;
  value: string;
}

/** OpenSSL's reason, e.g. "key values mismatch", without its error-code prefix. */
function openSslReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^error:[0-9A-F]+:[^:]*:[^:]*:/, '');
}

/**
 * A client certificate is sent together with its key, or not at all, and the key must be the
 * certificate's: TLS would otherwise fail inside the driver, later and in words that name no setting.
 */
function certificatePairProblems(cert: FileSetting, key: FileSetting): string[] {
  if (cert.value === '' && key.value === '') return [];
  if (cert.value === '' || key.value === '') {
    const [missing, given] = cert.value === '' ? [cert, key] : [key, cert];
    return [`${missing.key} (${missing.env}): required when ${given.env} is set`];
  }
  try {
    createSecureContext({ cert: readFileSync(cert.value, 'utf8'), key: readFileSync(key.value, 'utf8') });
    return [];
  } catch (error) {
    return [`${key.key} (${key.env}): cannot be used with the certificate in ${cert.env}: ${openSslReason(error)}`];
  }
}

/** A TLS file given while TLS is off would be silently ignored: say so instead. */
function unusedFileProblems(files: readonly FileSetting[], tlsOff: string, fix: string): string[] {
  return files.filter((file) => file.value !== '').map((file) => `${file.key} (${file.env}): set, but ${tlsOff}; ${fix}`);
}

/**
 * TLS files are used only with TLS on, and a client certificate needs its key; SASL needs both
 * credentials once a mechanism is chosen.
 */
export function kafkaConnectionProblems({ ssl, sasl }: KafkaConnectionConfig): string[] {
  const ca = { key: 'kafka.ssl.caFile', env: 'KAFKA_SSL_CA_FILE', value: ssl.caFile };
  const cert = { key: 'kafka.ssl.certFile', env: 'KAFKA_SSL_CERT_FILE', value: ssl.certFile };
  const key = { key: 'kafka.ssl.keyFile', env: 'KAFKA_SSL_KEY_FILE', value: ssl.keyFile };
  const problems = [
    ...certificatePairProblems(cert, key),
    ...(ssl.enabled ? [] : unusedFileProblems([ca, cert], 'KAFKA_SSL_ENABLED is false', 'set KAFKA_SSL_ENABLED=true to use it')),
  ];
  if (sasl.mechanism === 'none') return problems;
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

/** A client certificate needs its key, and TLS files need a TLS mode that uses them. */
function databaseTlsProblems(database: AppConfig['database'], sslMode: AppConfig['database']['sslMode']): string[] {
  const ca = { key: 'database.sslCaFile', env: 'DATABASE_SSL_CA_FILE', value: database.sslCaFile };
  const cert = { key: 'database.sslCertFile', env: 'DATABASE_SSL_CERT_FILE', value: database.sslCertFile };
  const key = { key: 'database.sslKeyFile', env: 'DATABASE_SSL_KEY_FILE', value: database.sslKeyFile };
  return [
    ...certificatePairProblems(cert, key),
    ...(sslMode === 'disable' ? unusedFileProblems([ca, cert], 'DATABASE_SSL_MODE is disable', 'set DATABASE_SSL_MODE=verify-full to use it') : []),
    // libpq's require verifies against a CA file when there is one; ours never does, so say so.
    ...(sslMode === 'require' ? unusedFileProblems([ca], 'DATABASE_SSL_MODE is require, which does not verify the server', 'set DATABASE_SSL_MODE=verify-full') : []),
  ];
}

/** The consumer's configuration, with DATABASE_URL's sslmode in effect. @throws ConfigError naming every bad key. */
export function loadConfig(env: Environment): AppConfig {
  const config = loadConfigWith(configSchema, configKeys, env, (config) => [
    ...kafkaConnectionProblems(config.kafka),
    ...databaseTlsProblems(config.database, parseDatabaseUrl(config.database.url).settings.sslMode ?? config.database.sslMode),
    ...(config.database.poolSize < config.kafka.partitionsConsumedConcurrently
      ? ['database.poolSize (DATABASE_POOL_SIZE): must be at least KAFKA_PARTITIONS_CONSUMED_CONCURRENTLY']
      : []),
    ...sslModeProblems(config.database, env),
    ...timescaledbPolicyProblems(config.timescaledb, config.database.timescaledb),
  ]);
  const sslMode = parseDatabaseUrl(config.database.url).settings.sslMode ?? config.database.sslMode;
  return { ...config, database: { ...config.database, sslMode } };
}
