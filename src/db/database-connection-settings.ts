import type { AppConfig } from '../config/config-schema.js';
import { parseDatabaseUrl } from '../config/database-url.js';
import type { ConnectionSettings } from '../connection/connection-failure.js';

/** The database settings a connection failure points the user to; never the URL itself, which may hold a password. */
export function databaseConnectionSettings(config: AppConfig['database']): ConnectionSettings {
  const { host, port, user } = parseDatabaseUrl(config.url).settings;
  return {
    server: 'PostgreSQL',
    address: `${host}:${port}`,
    addressSetting: 'the host in DATABASE_URL',
    tls: { enabled: config.sslMode !== 'disable', setting: 'DATABASE_SSL_MODE' },
    ca: { setting: 'DATABASE_SSL_CA_FILE', file: config.sslCaFile },
    credentials: `the user ("${user}") and password in DATABASE_URL, or DATABASE_PASSWORD`,
  };
}
