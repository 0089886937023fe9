import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Kysely } from 'kysely';

/** Compiled migrations sit at dist/migrations, two levels above this module (dist/src/db). */
const migrationFolder = fileURLToPath(new URL('../../migrations', import.meta.url));

/**
 * One migration of a build. `compatibilityLevel` is what the migration file exports: the schema's
 * compatibility level once it has run. An additive (expand) migration keeps the level of the one before
 * it, so every build of that level keeps running on it; a breaking (contract) migration raises it.
 */
export interface CatalogedMigration {
  name: string;
  compatibilityLevel: number;
  /**
   * False for a migration that must commit as it goes (CREATE INDEX CONCURRENTLY, batched backfills): it is
   * run outside a transaction and must finish the job when run again after an interruption. Default true.
   */
  runsInTransaction?: boolean;
  up(db: Kysely<unknown>): Promise<void>;
  down(db: Kysely<unknown>): Promise<void>;
}

interface MigrationModule {
  compatibilityLevel?: unknown;
  runsInTransaction?: unknown;
  up?: unknown;
  down?: unknown;
}

function toMigration(name: string, module: MigrationModule): CatalogedMigration {
  const { compatibilityLevel, runsInTransaction = true, up, down } = module;
  if (typeof compatibilityLevel !== 'number' || !Number.isInteger(compatibilityLevel) || compatibilityLevel < 1) {
    throw new Error(`migration ${name} must export compatibilityLevel, an integer of at least 1`);
  }
  if (typeof up !== 'function' || typeof down !== 'function') throw new Error(`migration ${name} must export up and down`);
  if (typeof runsInTransaction !== 'boolean') throw new Error(`migration ${name} may export runsInTransaction only as a boolean`);
  return {
    name,
    compatibilityLevel,
    runsInTransaction,
    up: (db) => (up as CatalogedMigration['up'])(db),
    down: (db) => (down as CatalogedMigration['down'])(db),
  };
}

/** The migrations in `folder` (default: this build's), sorted by name, each checked for its level. */
export async function loadMigrations(folder = migrationFolder): Promise<CatalogedMigration[]> {
  const files = (await fs.readdir(folder)).filter((file) => file.endsWith('.js')).sort();
  const migrations: CatalogedMigration[] = [];
  for (const file of files) {
    const module = (await import(pathToFileURL(path.join(folder, file)).href)) as MigrationModule;
    migrations.push(toMigration(file.slice(0, -'.js'.length), module));
  }
  return migrations;
}

let buildMigrations: Promise<CatalogedMigration[]> | undefined;

/** This build's migrations, loaded once. */
export function loadBuildMigrations(): Promise<CatalogedMigration[]> {
  buildMigrations ??= loadMigrations();
  return buildMigrations;
}

/** The level a build runs at: the highest level among its migrations. */
export function buildCompatibilityLevel(migrations: readonly CatalogedMigration[]): number {
  return Math.max(0, ...migrations.map((migration) => migration.compatibilityLevel));
}
