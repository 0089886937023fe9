import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/config-schema.js';
import type { Database } from './database.js';

function tlsOptions(config: AppConfig['database']): ConnectionOptions | false {
  switch (config.sslMode) {
    case 'disable':
      return false;
    case 'require':
      return { rejectUnauthorized: false };
    case 'verify-full':
      return config.sslCaFile === '' ? { rejectUnauthorized: true } : { rejectUnauthorized: true, ca: readFileSync(config.sslCaFile, 'utf8') };
  }
}

/**
 * Pool settings from the config. The URL is taken apart here rather than handed to pg as a connection
 * string, because pg lets a connection string override explicit settings such as the password and TLS.
 */
function poolConfig(config: AppConfig['database'], applicationName: string): pg.PoolConfig {
  const url = new URL(config.url);
  return {
    host: decodeURIComponent(url.hostname).replace(/^\[(.*)\]$/, '$1'),
    port: url.port === '' ? 5432 : Number(url.port),
    user: decodeURIComponent(url.username) || 'postgres',
    password: config.password === '' ? decodeURIComponent(url.password) : config.password,
    database: decodeURIComponent(url.pathname.slice(1)),
    ssl: tlsOptions(config),
    max: config.poolSize,
    connectionTimeoutMillis: config.connectTimeoutMs,
    // pg sends neither when 0: the server's (or the role's) default applies.
    statement_timeout: config.statementTimeoutMs,
    lock_timeout: config.lockTimeoutMs,
    application_name: applicationName,
  };
}

/** A Kysely instance over a pg pool; `destroy()` closes the pool. */
export function createDatabase(config: AppConfig['database'], logger: Logger, applicationName = 'todo-history'): Kysely<Database> {
  const pool = new pg.Pool(poolConfig(config, applicationName));
  // An idle client that loses its connection emits 'error'; the next query reconnects, so it is not fatal.
  // The error carries its pg client, whose serialisation would flood the log: keep what says why.
  pool.on('error', (error: Error & { code?: string }) => logger.warn({ code: error.code, reason: error.message }, 'idle database connection lost'));
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}
