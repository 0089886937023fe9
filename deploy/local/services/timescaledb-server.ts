import { cp } from 'node:fs/promises';
import { pathExists } from './path-exists.js';
import type { PostgresServerOptions } from './postgres-server.js';
import { relocatePostgres, startRelocatedServer, type RelocatedServer } from './relocated-postgres.js';
import { DEFAULT_TIMESCALEDB_VERSION, ensureTimescaledbBuild, timescaledbSourcePath } from './timescaledb-build.js';

export interface TimescaledbServerOptions {
  readonly version?: string;
  /** Default true. False: installed but not in shared_preload_libraries, where CREATE EXTENSION fails. */
  readonly preloaded?: boolean;
  readonly postgres?: PostgresServerOptions;
}

/** A PostgreSQL server running TimescaleDB; destroy() also removes the installation made for it. */
export interface TimescaledbServer extends RelocatedServer {
  readonly version: string;
}

/**
 * A PostgreSQL server with real TimescaleDB, built from the release source (once, cached) and added to a
 * relocated copy of the machine's installation; undefined when the source is not beside the repository
 * (a clone without `../shared`). PostgreSQL's own defaults for connections and locks (100 and 64), so
 * limits found on it hold on a server left at its defaults; telemetry off, as the tests are offline;
 * pg_stat_statements, so tests can tell which statements wrote.
 */
export async function startTimescaledbServer(options: TimescaledbServerOptions = {}): Promise<TimescaledbServer | undefined> {
  const version = options.version ?? DEFAULT_TIMESCALEDB_VERSION;
  const source = timescaledbSourcePath(version);
  if (!(await pathExists(source))) return undefined;
  const build = await ensureTimescaledbBuild(source, version);
  const installation = await relocatePostgres(async ({ extensionDir, libDir }) => {
    await cp(build.extensionDir, extensionDir, { recursive: true });
    await cp(build.libDir, libDir, { recursive: true });
  });
  const preload: Record<string, string> = options.preloaded === false ? {} : { shared_preload_libraries: 'timescaledb,pg_stat_statements' };
  const started = await startRelocatedServer(installation, {
    ...options.postgres,
    settings: { max_connections: '100', 'timescaledb.telemetry_level': 'off', ...preload, ...options.postgres?.settings },
  });
  return { version, ...started };
}
