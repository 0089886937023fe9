import { sql, type Kysely } from 'kysely';

/**
 * `todo_history_migration_level` remembers the compatibility level of each executed migration, written in
 * the same transaction as the migration itself (right after it, for one that runs outside a transaction).
 * It is how a build judges a migration it does not ship (one a newer build ran): its name is in
 * kysely_migration, its level only here. Every build reads and writes this table the same way; its shape
 * must never change.
 */
export async function recordLevel(db: Kysely<unknown>, name: string, level: number): Promise<void> {
  await sql`
    CREATE TABLE IF NOT EXISTS todo_history_migration_level (
      migration_name TEXT PRIMARY KEY,
      compatibility_level INTEGER NOT NULL
    )`.execute(db);
  await sql`
    INSERT INTO todo_history_migration_level (migration_name, compatibility_level) VALUES (${name}, ${level})
    ON CONFLICT (migration_name) DO UPDATE SET compatibility_level = EXCLUDED.compatibility_level`.execute(db);
}

export async function forgetLevel(db: Kysely<unknown>, name: string): Promise<void> {
  const table = await sql<{ exists: boolean }>`SELECT to_regclass('todo_history_migration_level') IS NOT NULL AS exists`.execute(db);
  if (table.rows[0]?.exists !== true) return;
  await sql`DELETE FROM todo_history_migration_level WHERE migration_name = ${name}`.execute(db);
}

/**
 * Whether `name`'s level is recorded: its body committed (the level is written in the same transaction),
 * even if the process stopped before Kysely recorded the migration as executed.
 */
export async function levelRecorded(db: Kysely<unknown>, name: string): Promise<boolean> {
  const table = await sql<{ exists: boolean }>`SELECT to_regclass('todo_history_migration_level') IS NOT NULL AS exists`.execute(db);
  if (table.rows[0]?.exists !== true) return false;
  const { rows } = await sql<{ found: boolean }>`
    SELECT EXISTS (SELECT 1 FROM todo_history_migration_level WHERE migration_name = ${name}) AS found`.execute(db);
  return rows[0]?.found === true;
}

/** The executed migrations, by name, with their recorded level (undefined when none was recorded). */
export async function executedMigrations<DB>(db: Kysely<DB>): Promise<Map<string, number | undefined>> {
  const found = await sql<{ migrations: boolean; levels: boolean }>`
    SELECT to_regclass('kysely_migration') IS NOT NULL AS migrations,
           to_regclass('todo_history_migration_level') IS NOT NULL AS levels`.execute(db);
  const executed = new Map<string, number | undefined>();
  if (found.rows[0]?.migrations !== true) return executed;
  const { rows } = found.rows[0].levels
    ? await sql<{ name: string; level: number | null }>`
        SELECT m.name, l.compatibility_level AS level
        FROM kysely_migration m LEFT JOIN todo_history_migration_level l ON l.migration_name = m.name`.execute(db)
    : await sql<{ name: string; level: number | null }>`SELECT name, NULL::integer AS level FROM kysely_migration`.execute(db);
  for (const row of rows) executed.set(row.name, row.level ?? undefined);
  return executed;
}
