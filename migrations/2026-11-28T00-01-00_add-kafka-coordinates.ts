import { sql, type Kysely } from 'kysely';

/** Additive: builds of level 1 keep running on it (see README, "Schema compatibility"). */
export const compatibilityLevel = 1;

/**
 * Outside a transaction, so the index is built without holding off writers: on a plain table adopted from
 * the Go service with millions of rows, a plain CREATE INDEX would block every insert for the whole build.
 * Each step commits on its own and is skipped or redone when run again after an interruption.
 */
export const runsInTransaction = false;

const index = 'todo_event_logs_kafka_coordinates_key';

/**
 * Each row remembers the Kafka record it came from, and a unique index makes a redelivered record a
 * no-op (`ON CONFLICT DO NOTHING`). The index includes `timestamp` because a hypertable's unique indexes
 * must contain its time column; a record's timestamp never changes, so the index is still unique per
 * record. Rows the Go service stored keep NULL coordinates, which never conflict.
 *
 * The result is the same as when this ran in one transaction (columns, then a valid unique index); only
 * the way there changed, for databases where it has not run yet. On a plain table the index is built
 * CONCURRENTLY; a failed or interrupted build leaves an INVALID index behind that IF NOT EXISTS would take
 * for done, so it is dropped and built again. A hypertable (the Go service's own table on TimescaleDB) can
 * build an index neither concurrently nor, when it is unique, chunk by chunk (TimescaleDB 2.26 refuses
 * `transaction_per_chunk` for UNIQUE): there the build holds writers off for its statement, in a
 * transaction of its own, and a failed build leaves nothing behind.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE todo_event_logs
      ADD COLUMN IF NOT EXISTS kafka_topic TEXT,
      ADD COLUMN IF NOT EXISTS kafka_partition INTEGER,
      ADD COLUMN IF NOT EXISTS kafka_offset BIGINT`.execute(db);
  // An empty table (a new database) is indexed at once: building concurrently would only wait for other
  // transactions, which a single-connection server (PGlite) cannot even do.
  if ((await isHypertable(db)) || (await isEmpty(db))) {
    await sql`
      CREATE UNIQUE INDEX IF NOT EXISTS ${sql.id(index)}
        ON todo_event_logs (kafka_topic, kafka_partition, kafka_offset, timestamp)`.execute(db);
    return;
  }
  if (await isInvalid(db)) await sql`DROP INDEX CONCURRENTLY ${sql.id(index)}`.execute(db);
  await sql`
    CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS ${sql.id(index)}
      ON todo_event_logs (kafka_topic, kafka_partition, kafka_offset, timestamp)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX IF EXISTS todo_event_logs_kafka_coordinates_key`.execute(db);
  await sql`
    ALTER TABLE todo_event_logs
      DROP COLUMN IF EXISTS kafka_topic,
      DROP COLUMN IF EXISTS kafka_partition,
      DROP COLUMN IF EXISTS kafka_offset`.execute(db);
}

async function isEmpty(db: Kysely<unknown>): Promise<boolean> {
  const { rows } = await sql<{ empty: boolean }>`SELECT NOT EXISTS (SELECT 1 FROM todo_event_logs) AS empty`.execute(db);
  return rows[0]?.empty === true;
}

async function isInvalid(db: Kysely<unknown>): Promise<boolean> {
  const { rows } = await sql<{ invalid: boolean }>`
    SELECT NOT indisvalid AS invalid FROM pg_index WHERE indexrelid = to_regclass(${index})`.execute(db);
  return rows[0]?.invalid === true;
}

/** Whether the table is already a hypertable: the Go service creates it as one on TimescaleDB. */
async function isHypertable(db: Kysely<unknown>): Promise<boolean> {
  const { rows } = await sql<{ installed: boolean }>`
    SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') AS installed`.execute(db);
  if (rows[0]?.installed !== true) return false;
  const hypertables = await sql<{ found: boolean }>`
    SELECT EXISTS (
      SELECT 1 FROM timescaledb_information.hypertables
      WHERE hypertable_name = 'todo_event_logs' AND hypertable_schema = current_schema()
    ) AS found`.execute(db);
  return hypertables.rows[0]?.found === true;
}
