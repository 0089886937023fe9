import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveCacheDir } from '../system/cache-dir.js';
import { withFileLock } from '../system/file-lock.js';
import { describeError } from '../system/log-tail.js';
import { findOnPath, runCommand } from '../system/run-command.js';
import { pathExists } from './path-exists.js';
import { findOrInstallPostgresBinaries } from './postgres-binaries.js';

/** The last TimescaleDB release line that builds against PostgreSQL 15, which Debian 12 ships. */
export const DEFAULT_TIMESCALEDB_VERSION = '2.26.0';
const COMPLETE_MARKER = '.complete';
const BOOTSTRAP_FLAGS = ['-DREGRESS_CHECKS=OFF', '-DTAP_CHECKS=OFF', '-DWARNINGS_AS_ERRORS=OFF'];
const BUILD_TIMEOUT_MS = 30 * 60_000;
// The repository's sibling `shared/`, where a CI clone finds the vendored sources (no package registry here serves them).
const VENDOR_DIR = fileURLToPath(new URL('../../../../../shared/vendor/', import.meta.url));

/** A TimescaleDB build's installed files, to be copied into a PostgreSQL installation. */
export interface TimescaledbBuild {
  readonly version: string;
  /** Control files and SQL scripts, for the share directory's `extension/`. */
  readonly extensionDir: string;
  /** The shared libraries, for `$libdir`. */
  readonly libDir: string;
}

/** Where the release source of `version` is looked for: `../shared/vendor/timescaledb-<version>.tar.gz` from the repository. */
export function timescaledbSourcePath(version = DEFAULT_TIMESCALEDB_VERSION): string {
  return join(VENDOR_DIR, `timescaledb-${version}.tar.gz`);
}

/**
 * TimescaleDB built from its release source against this machine's PostgreSQL, once: the build is cached
 * under a name that holds the version, the source's hash and the PostgreSQL version it was built for,
 * and a `.complete` marker tells a finished build from an interrupted one. Needs the PostgreSQL server
 * headers (Debian: postgresql-server-dev-<major>, pinned to the server's version), cmake and a C compiler.
 */
export async function ensureTimescaledbBuild(source: string, version = DEFAULT_TIMESCALEDB_VERSION, cacheDir = resolveCacheDir()): Promise<TimescaledbBuild> {
  const pgConfig = join((await findOrInstallPostgresBinaries()).binDir, 'pg_config');
  const postgresVersion = (await runCommand(pgConfig, ['--version'])).stdout.trim();
  const key = createHash('sha256').update(`${await sha256Of(source)}\n${postgresVersion}\n${BOOTSTRAP_FLAGS.join(' ')}`).digest('hex').slice(0, 12);
  const buildDir = join(cacheDir, 'timescaledb', `${version}-${key}`);
  if (!(await pathExists(join(buildDir, COMPLETE_MARKER)))) {
    await withFileLock(
      `${buildDir}.lock`,
      async () => {
        if (!(await pathExists(join(buildDir, COMPLETE_MARKER)))) await buildInto(buildDir, source, version, pgConfig);
      },
      BUILD_TIMEOUT_MS,
    );
  }
  return { version, extensionDir: join(buildDir, 'extension'), libDir: join(buildDir, 'lib') };
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function buildInto(buildDir: string, source: string, version: string, pgConfig: string): Promise<void> {
  const { stdout } = await runCommand(pgConfig, ['--includedir-server', '--sharedir', '--pkglibdir']);
  const [serverHeaders = '', shareDir = '', libDir = ''] = stdout.trim().split('\n');
  if (!(await pathExists(join(serverHeaders, 'postgres.h')))) {
    throw new Error(
      `Building TimescaleDB needs the PostgreSQL server headers, missing from ${serverHeaders}: on Debian, ` +
        "apt-get install postgresql-server-dev-<major>=<the server's version> (see .ci/run)",
    );
  }
  if ((await findOnPath('cmake')) === undefined) throw new Error('Building TimescaleDB needs cmake (apt-get install cmake)');
  // Build in a side directory and rename it into place, so an interrupted build is never mistaken for a complete one.
  const stagingDir = `${buildDir}.partial`;
  await rm(stagingDir, { recursive: true, force: true });
  await mkdir(stagingDir, { recursive: true });
  try {
    await runCommand('tar', ['-xzf', source, '-C', stagingDir]);
    const [sourceDir] = await readdir(stagingDir);
    if (sourceDir === undefined) throw new Error(`${source} holds no files`);
    const tree = join(stagingDir, sourceDir);
    const options = { cwd: tree, timeoutMs: BUILD_TIMEOUT_MS };
    await runCommand('./bootstrap', [...BOOTSTRAP_FLAGS, `-DPG_CONFIG=${pgConfig}`], options);
    await runCommand('make', ['-C', 'build', '-j2'], options);
    const installRoot = join(stagingDir, 'install');
    await runCommand('make', ['-C', 'build', 'install', `DESTDIR=${installRoot}`], options);
    await rename(join(installRoot, shareDir, 'extension'), join(stagingDir, 'extension'));
    await rename(join(installRoot, libDir), join(stagingDir, 'lib'));
    await rm(tree, { recursive: true, force: true });
    await rm(installRoot, { recursive: true, force: true });
  } catch (error) {
    await rm(stagingDir, { recursive: true, force: true });
    throw new Error(`Building TimescaleDB ${version} from ${source} failed: ${describeError(error)}`);
  }
  await writeFile(join(stagingDir, COMPLETE_MARKER), `${new Date().toISOString()}\n`);
  await rm(buildDir, { recursive: true, force: true });
  await rename(stagingDir, buildDir);
}
