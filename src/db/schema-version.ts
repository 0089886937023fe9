import { sql, type Kysely } from 'kysely';

/** The last migration this build knows. The consumer runs only against a schema at exactly this version. */
export const expectedSchemaVersion = '2026-12-01T00-00-00_widen-id-to-bigint';

/** The schema is not the one this build was made for; migrate (or roll the image) first. */
export class SchemaVersionError extends Error {
  readonly code = 'schema_version_mismatch';
  readonly retryable = false;

  constructor(readonly found: string | null) {
    super(
      `database schema is at ${found ?? 'no migration'} but this build needs ${expectedSchemaVersion}: ` +
        'run `todo-history migrate latest` (the Helm chart\'s migration Job) with this image first',
    );
    this.name = 'SchemaVersionError';
  }
}

/** The name of the last applied migration, or null when none has run. */
export async function currentSchemaVersion<DB>(db: Kysely<DB>): Promise<string | null> {
  const table = await sql<{ exists: boolean }>`SELECT to_regclass('kysely_migration') IS NOT NULL AS exists`.execute(db);
  if (table.rows[0]?.exists !== true) return null;
  const { rows } = await sql<{ name: string | null }>`SELECT max(name) AS name FROM kysely_migration`.execute(db);
  return rows[0]?.name ?? null;
}

/** @throws SchemaVersionError unless the database is at `expectedSchemaVersion`. */
export async function assertSchemaVersion<DB>(db: Kysely<DB>): Promise<void> {
  const found = await currentSchemaVersion(db);
  if (found !== expectedSchemaVersion) throw new SchemaVersionError(found);
}
