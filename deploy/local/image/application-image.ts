import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureBaseImageStandIns } from './base-images.js';
import { buildImage, imageSizeBytes } from './podman.js';

const REPOSITORY_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
/** What .dockerignore lets into the build context. */
const BUILD_CONTEXT_ENTRIES = ['package.json', 'package-lock.json', 'patches', 'tsconfig.json', 'src', 'migrations'];
const EXTRA_MIGRATION_FILE = '2099-01-01T00-00-00_add-test-column.ts';

export interface BuiltImage {
  readonly reference: string;
  readonly sizeBytes: number;
}

async function buildFrom(context: string, reference: string, dockerfile = path.join(REPOSITORY_ROOT, 'Dockerfile')): Promise<BuiltImage> {
  const { nodeImage, runtimeImage } = await ensureBaseImageStandIns();
  await buildImage(context, dockerfile, reference, { NODE_IMAGE: nodeImage, RUNTIME_IMAGE: runtimeImage });
  return { reference, sizeBytes: await imageSizeBytes(reference) };
}

/** Builds the Dockerfile of a checkout at `repositoryRoot` (skaffold's build context) on the stand-in base images. */
export function buildApplicationImageIn(repositoryRoot: string, reference: string): Promise<BuiltImage> {
  return buildFrom(repositoryRoot, reference, path.join(repositoryRoot, 'Dockerfile'));
}

/** Builds the repository's Dockerfile, as users do, with the stand-in base images passed as build arguments. */
export function buildApplicationImage(reference: string): Promise<BuiltImage> {
  return buildFrom(REPOSITORY_ROOT, reference);
}

/** The highest compatibilityLevel the repository's migrations export. */
async function highestCompatibilityLevel(): Promise<number> {
  const folder = path.join(REPOSITORY_ROOT, 'migrations');
  const levels = await Promise.all((await fs.readdir(folder)).filter((file) => file.endsWith('.ts')).map(async (file) => {
    const match = /export const compatibilityLevel = (\d+);/.exec(await fs.readFile(path.join(folder, file), 'utf8'));
    if (match?.[1] === undefined) throw new Error(`migrations/${file} exports no literal compatibilityLevel`);
    return Number(match[1]);
  }));
  return Math.max(...levels);
}

/**
 * The same build with one more migration: additive (a nullable column) at the current highest level, as
 * the next release of the same level would ship. The context is a copy, so the layers before the
 * migrations come from podman's cache.
 */
export async function buildApplicationImageWithExtraMigration(reference: string): Promise<BuiltImage> {
  const context = await fs.mkdtemp(path.join(os.tmpdir(), 'todo-history-extra-migration-'));
  try {
    for (const entry of BUILD_CONTEXT_ENTRIES) await fs.cp(path.join(REPOSITORY_ROOT, entry), path.join(context, entry), { recursive: true });
    await fs.writeFile(path.join(context, 'migrations', EXTRA_MIGRATION_FILE), [
      "import { sql, type Kysely } from 'kysely';",
      '',
      `export const compatibilityLevel = ${String(await highestCompatibilityLevel())};`,
      '',
      'export async function up(db: Kysely<unknown>): Promise<void> {',
      '  await sql`ALTER TABLE todo_event_logs ADD COLUMN IF NOT EXISTS cluster_test_note TEXT`.execute(db);',
      '}',
      '',
      'export async function down(db: Kysely<unknown>): Promise<void> {',
      '  await sql`ALTER TABLE todo_event_logs DROP COLUMN IF EXISTS cluster_test_note`.execute(db);',
      '}',
      '',
    ].join('\n'));
    return await buildFrom(context, reference);
  } finally {
    await fs.rm(context, { recursive: true, force: true });
  }
}
