import type { Kysely } from 'kysely';
import { executedMigrations } from './compatibility-table.js';
import { buildCompatibilityLevel, loadBuildMigrations, type CatalogedMigration } from './migration-catalog.js';

/**
 * Where the database stands for a build. The rule: a build runs on a schema when every migration it ships
 * has run, and no executed migration has a compatibility level above the build's own. So a newer build's
 * additive migration (same level) leaves older builds running, and going back to the older build after it
 * needs no `migrate down`; a breaking one (a higher level) stops them with a reason.
 */
export interface SchemaStanding {
  compatible: boolean;
  /** Why not, or 'ok'. */
  reason: string;
  buildLevel: number;
  /** The highest level among the executed migrations whose level is known; 0 for none. */
  schemaLevel: number;
  /** This build's migrations that have not run. */
  pending: string[];
  /** Executed migrations this build does not ship (a newer build ran them). */
  ahead: string[];
}

/** Judges the executed migrations (name → recorded level) against a build's migrations. */
export function judgeSchema(build: readonly CatalogedMigration[], executed: ReadonlyMap<string, number | undefined>): SchemaStanding {
  const buildLevel = buildCompatibilityLevel(build);
  const known = new Map(build.map((migration) => [migration.name, migration.compatibilityLevel]));
  const levelOf = (name: string): number | undefined => executed.get(name) ?? known.get(name);
  const schemaLevel = Math.max(0, ...[...executed.keys()].map((name) => levelOf(name) ?? 0));
  const pending = build.filter((migration) => !executed.has(migration.name)).map((migration) => migration.name);
  const ahead = [...executed.keys()].filter((name) => !known.has(name)).sort();
  const standing = { compatible: false, buildLevel, schemaLevel, pending, ahead };
  const unrecorded = ahead.filter((name) => executed.get(name) === undefined);
  if (unrecorded.length > 0) {
    return { ...standing, reason: `schema has migrations this build does not know and whose compatibility level is not recorded: ${unrecorded.join(', ')}` };
  }
  const breaking = ahead.filter((name) => (executed.get(name) ?? 0) > buildLevel);
  if (breaking.length > 0) {
    return {
      ...standing,
      reason:
        `schema is at compatibility level ${schemaLevel} (${breaking.join(', ')}) but this build runs at level ${buildLevel}: ` +
        'deploy a build of that level or newer',
    };
  }
  if (pending.length > 0) {
    return {
      ...standing,
      reason: `schema lacks migrations this build needs (${pending.join(', ')}): run \`todo-history migrate latest\` (the Helm chart's migration Job) with this image first`,
    };
  }
  return { ...standing, compatible: true, reason: 'ok' };
}

/** The standing of the database for `build` (default: this build). */
export async function schemaStanding<DB>(db: Kysely<DB>, build?: readonly CatalogedMigration[]): Promise<SchemaStanding> {
  return judgeSchema(build ?? (await loadBuildMigrations()), await executedMigrations(db));
}

/** The schema is not one this build can run on; migrate (or roll the image) first. */
export class SchemaVersionError extends Error {
  readonly code = 'schema_version_mismatch';
  readonly retryable = false;

  constructor(readonly standing: SchemaStanding) {
    super(standing.reason);
    this.name = 'SchemaVersionError';
  }
}

/** @throws SchemaVersionError unless this build can run on the database's schema. */
export async function assertSchemaVersion<DB>(db: Kysely<DB>): Promise<void> {
  const standing = await schemaStanding(db);
  if (!standing.compatible) throw new SchemaVersionError(standing);
}
