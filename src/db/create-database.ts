import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/config-schema.js';
import { parseDatabaseUrl } from '../config/database-url.js';
import type { Database } from './database.js';

/** A client certificate for servers that ask for one (pg_hba.conf `cert`, `clientcert=verify-full`). */
function clientCertificate(config: AppConfig['database']): Pick<ConnectionOptions, 'cert' | 'key'> {
  return config.sslCertFile === '' ? {} : { cert: readFileSync(config.sslCertFile, 'utf8'), key: readFileSync(config.sslKeyFile, 'utf8') };
}

function tlsOptions(config: AppConfig['database']): ConnectionOptions | false {
  switch (config.sslMode) {
    case 'disable':
      return false;
    case 'require':
      return { rejectUnauthorized: false, ...clientCertificate(config) };
    case 'verify-full':
      return { rejectUnauthorized: true, ...(config.sslCaFile === '' ? {} : { ca: readFileSync(config.sslCaFile, 'utf8') }), ...clientCertificate(config) };
  }
}

/**
 * Connection settings from the config. The URL is taken apart here (parseDatabaseUrl, which the config
 * has validated) rather than handed to pg as a connection string, because pg lets a connection string
 * override explicit settings such as the password and TLS.
 */
export function connectionConfig(config: AppConfig['database'], applicationName: string): pg.ClientConfig {
  const { host, port, user, password, database } = parseDatabaseUrl(config.url).settings;
  return {
    host,
    port,
    user,
    password: config.password === '' ? password : config.password,
    database,
    ssl: tlsOptions(config),
    connectionTimeoutMillis: config.connectTimeoutMs,
    // pg sends neither when 0: the server's (or the role's) default applies.
    statement_timeout: config.statementTimeoutMs,
    lock_timeout: config.lockTimeoutMs,
    application_name: applicationName,
  };
}

/** Why a connection failed, without the pg client that the error carries (its serialisation floods the log). */
function connectionFailure(error: Error & { code?: string }): { code?: string; reason: string } {
  return { code: error.code, reason: error.message };
}

/**
 * Gives a pg client the 'error' listener it needs: a connection the server ends (a restart, a FATAL)
 * emits 'error' on its client, and an 'error' event nobody listens to kills the process.
 */
export function logClientErrors(client: pg.Client | pg.PoolClient, logger: Logger): void {
  client.on('error', (error: Error & { code?: string }) => logger.warn(connectionFailure(error), 'database connection lost'));
}

export interface DatabaseOptions {
  /** Reported to PostgreSQL as application_name. */
  applicationName?: string;
  /** Settings (GUCs) given to every connection of the pool, e.g. a migration's. */
  sessionSettings?: Readonly<Record<string, string>>;
}

/** A pg pool whose clients log the connections they lose, and get `sessionSettings` before their first query. */
export function createPool(config: AppConfig['database'], logger: Logger, { applicationName = 'todo-history', sessionSettings = {} }: DatabaseOptions = {}): pg.Pool {
  const pool = new pg.Pool({ ...connectionConfig(config, applicationName), max: config.poolSize });
  // An idle client that loses its connection emits 'error' on the pool; the next query reconnects.
  pool.on('error', (error: Error & { code?: string }) => logger.warn(connectionFailure(error), 'idle database connection lost'));
  pool.on('connect', (client) => {
    // The pool listens to a client only while it is idle; a checked-out one needs its own listener.
    logClientErrors(client, logger);
    // Queued before the query the client was checked out for, so it runs first.
    for (const [name, value] of Object.entries(sessionSettings)) {
      client.query('SELECT set_config($1, $2, false)', [name, value]).catch((error: Error) => logger.warn({ setting: name, reason: error.message }, 'cannot apply a session setting'));
    }
  });
  return pool;
}

/** Kysely over `pool`; `destroy()` closes the pool. */
export function databaseOver(pool: pg.Pool): Kysely<Database> {
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

/** A Kysely instance over a new pool (createPool); `destroy()` closes the pool. */
export function createDatabase(config: AppConfig['database'], logger: Logger, options: DatabaseOptions = {}): Kysely<Database> {
  return databaseOver(createPool(config, logger, options));
}
