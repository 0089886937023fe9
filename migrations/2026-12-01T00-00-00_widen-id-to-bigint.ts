import { sql, type Kysely } from 'kysely';

/** Additive: builds of level 1 keep running on it (see README, "Schema compatibility"). */
export const compatibilityLevel = 1;

/**
 * A table adopted from the Go service keeps its 32-bit `id SERIAL`: at 2^31 - 1 rows (fewer, since every
 * `ON CONFLICT DO NOTHING` attempt consumes a value) `nextval` fails for every row. Widen the column and
 * its sequence to 64 bits; a table this build created is already BIGSERIAL and is left alone. On a large
 * table the ALTER rewrites it, under the migration's own statement timeout.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    DO $$
    DECLARE
      id_sequence TEXT := pg_get_serial_sequence('todo_event_logs', 'id');
    BEGIN
      IF (SELECT atttypid = 'integer'::regtype FROM pg_attribute
          WHERE attrelid = 'todo_event_logs'::regclass AND attname = 'id') THEN
        ALTER TABLE todo_event_logs ALTER COLUMN id TYPE BIGINT;
      END IF;
      IF id_sequence IS NOT NULL THEN
        EXECUTE format('ALTER SEQUENCE %s AS BIGINT', id_sequence);
      END IF;
    END
    $$`.execute(db);
}

/** Narrowing could fail on ids past 2^31; going down leaves the column 64-bit. */
export async function down(): Promise<void> {}
