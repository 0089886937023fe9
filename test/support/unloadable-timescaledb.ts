import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PostgresServerHandle } from '../../deploy/local/services/postgres-server.js';
import { relocatePostgres, startRelocatedServer } from '../../deploy/local/services/relocated-postgres.js';
import { startTimescaledbServer } from '../../deploy/local/services/timescaledb-server.js';

/** The stand-in's files: listed in pg_available_extensions like TimescaleDB, failing like it does unpreloaded. */
const control = [
  "comment = 'test stand-in: TimescaleDB installed but not in shared_preload_libraries'",
  "default_version = '0.0.0'",
  'relocatable = false',
  '',
].join('\n');
// TimescaleDB's loader ends the session with FATAL "extension must be preloaded"; SQL cannot raise a
// FATAL, but a backend terminating itself ends the session with one (57P01) the same way.
const script = 'SELECT pg_terminate_backend(pg_backend_pid());\n';

/** A PostgreSQL server where CREATE EXTENSION timescaledb fails, and the removal of everything made for it. */
export interface UnloadableTimescaledbServer {
  server: PostgresServerHandle;
  /** The start of the FATAL's message. */
  failure: string;
  destroy(): Promise<void>;
}

/**
 * A PostgreSQL on which `timescaledb` is available but CREATE EXTENSION ends the session with a FATAL:
 * real TimescaleDB left out of shared_preload_libraries when its source is beside the repository, else a
 * stand-in that fails the same way. Confined to the test: the machine's installation is not touched.
 */
export async function startPostgresWithUnloadableTimescaledb(): Promise<UnloadableTimescaledbServer> {
  const real = await startTimescaledbServer({ preloaded: false, postgres: { fsync: false } });
  if (real !== undefined) {
    return { server: real.server, failure: 'extension "timescaledb" must be preloaded', destroy: () => real.destroy() };
  }
  return startStandIn();
}

async function startStandIn(): Promise<UnloadableTimescaledbServer> {
  const installation = await relocatePostgres(async ({ extensionDir }) => {
    await writeFile(join(extensionDir, 'timescaledb.control'), control);
    await writeFile(join(extensionDir, 'timescaledb--0.0.0.sql'), script);
  });
  return { ...(await startRelocatedServer(installation, { fsync: false })), failure: 'terminating connection' };
}
