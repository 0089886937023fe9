import { readdir, readFile, realpath, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { resolveCacheDir } from '../system/cache-dir.js';
import { withFileLock } from '../system/file-lock.js';
import { describeError } from '../system/log-tail.js';
import { findOnPath, isExecutable, runCommand } from '../system/run-command.js';

export interface PostgresBinaries {
  readonly binDir: string;
  readonly initdb: string;
  readonly postgres: string;
  readonly pgCtl: string;
}

const DEBIAN_CLUSTER_CONFIG = '/etc/postgresql-common/createcluster.conf';
const APT_TIMEOUT_MS = 15 * 60_000;

/** The PostgreSQL server programs of this machine, installing Debian's `postgresql` package when there are none. */
export async function findOrInstallPostgresBinaries(): Promise<PostgresBinaries> {
  const found = await findPostgresBinaries();
  if (found !== undefined) return found;
  if (process.getuid?.() !== 0) {
    throw new Error('No PostgreSQL server binaries (initdb, postgres, pg_ctl) were found, and installing them needs root: apt-get install -y postgresql');
  }
  await withFileLock(join(resolveCacheDir(), 'postgres-install.lock'), async () => {
    if ((await findPostgresBinaries()) === undefined) await installDebianPostgres();
  });
  const installed = await findPostgresBinaries();
  if (installed === undefined) throw new Error('The postgresql package was installed but initdb, postgres and pg_ctl are still not to be found');
  return installed;
}

async function findPostgresBinaries(): Promise<PostgresBinaries | undefined> {
  for (const binDir of await candidateBinDirs()) {
    const binaries = { binDir, initdb: join(binDir, 'initdb'), postgres: join(binDir, 'postgres'), pgCtl: join(binDir, 'pg_ctl') };
    const present = await Promise.all([binaries.initdb, binaries.postgres, binaries.pgCtl].map(isExecutable));
    if (present.every(Boolean)) return binaries;
  }
  return undefined;
}

/** In order of preference: what pg_config reports, Debian's versioned dirs (newest first), then PATH. */
async function candidateBinDirs(): Promise<string[]> {
  const dirs: string[] = [];
  const pgConfig = await findOnPath('pg_config');
  if (pgConfig !== undefined) {
    const bindir = await runCommand(pgConfig, ['--bindir']).then(({ stdout }) => stdout.trim(), () => '');
    if (bindir !== '') dirs.push(bindir);
  }
  const debianRoot = '/usr/lib/postgresql';
  const versions = await readdir(debianRoot).catch(() => []);
  versions.sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a));
  dirs.push(...versions.map((version) => join(debianRoot, version, 'bin')));
  const initdbOnPath = await findOnPath('initdb');
  if (initdbOnPath !== undefined) dirs.push(dirname(await realpath(initdbOnPath)), dirname(initdbOnPath));
  return dirs;
}

async function installDebianPostgres(): Promise<void> {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (args: string[]): Promise<unknown> => runCommand('apt-get', args, { env, timeoutMs: APT_TIMEOUT_MS });
  try {
    await apt(['update']);
    // postgresql-common first, so the package's default cluster (and the server it would start on port 5432) can be switched off.
    await apt(['install', '-y', '--no-install-recommends', 'postgresql-common']);
    await disableDefaultClusterCreation();
    await apt(['install', '-y', '--no-install-recommends', 'postgresql']);
  } catch (error) {
    throw new Error(`Installing PostgreSQL with apt-get failed: ${describeError(error)}`);
  }
}

async function disableDefaultClusterCreation(): Promise<void> {
  const config = await readFile(DEBIAN_CLUSTER_CONFIG, 'utf8').catch(() => '');
  const setting = 'create_main_cluster = false';
  const updated = /^\s*#?\s*create_main_cluster\s*=.*$/m.test(config)
    ? config.replace(/^\s*#?\s*create_main_cluster\s*=.*$/m, setting)
    : `${config}\n${setting}\n`;
  await writeFile(DEBIAN_CLUSTER_CONFIG, updated);
}
