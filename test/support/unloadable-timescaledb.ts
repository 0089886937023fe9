import { chmod, copyFile, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { findOrInstallPostgresBinaries } from '../../deploy/local/services/postgres-binaries.js';
import { startPostgresServer, type PostgresServerHandle } from '../../deploy/local/services/postgres-server.js';
import { runCommand } from '../../deploy/local/system/run-command.js';

/** The stand-in's files: listed in pg_available_extensions like TimescaleDB, failing like it does unpreloaded. */
const control = [
  "comment = 'test stand-in: TimescaleDB installed but not in shared_preload_libraries'",
  "default_version = '0.0.0'",
  'relocatable = false',
  '',
].join('\n');
// TimescaleDB's loader ends the session with FATAL "extension must be preloaded"; SQL cannot raise a
// FATAL, but a backend terminating itself ends the session with one (57P01) the same way.
const script = 'SELECT pg_terminate_backend(pg_backend_pid());\n';

function commonDirectory(paths: readonly string[]): string {
  const split = paths.map((path) => path.split(sep));
  const first = split[0] ?? [];
  let length = 0;
  while (length < first.length && split.every((parts) => parts[length] === first[length])) length += 1;
  return first.slice(0, length).join(sep) || sep;
}

/** A PostgreSQL server with the stand-in, and the removal of everything made for it. */
export interface UnloadableTimescaledbServer {
  server: PostgresServerHandle;
  destroy(): Promise<void>;
}

/**
 * A PostgreSQL on which `timescaledb` is available but CREATE EXTENSION ends the session with a FATAL,
 * as on a server where TimescaleDB is installed but not preloaded. Confined to the test: the machine's
 * installation is not touched (other runs share it). PostgreSQL finds its share and lib directories
 * relative to its own executable, after resolving symlinks, so the server runs a copy of `postgres` in a
 * temporary tree laid out like the installation, whose share directory links to the real one's files
 * plus the stand-in's control file and script. initdb is the installation's own.
 */
export async function startPostgresWithUnloadableTimescaledb(): Promise<UnloadableTimescaledbServer> {
  const binaries = await findOrInstallPostgresBinaries();
  const { stdout } = await runCommand(join(binaries.binDir, 'pg_config'), ['--sharedir', '--pkglibdir']);
  const [shareDir = '', libDir = ''] = stdout.trim().split('\n');
  const root = await mkdtemp(join(tmpdir(), 'todo-history-relocated-postgres-'));
  const prefix = commonDirectory([binaries.binDir, shareDir, libDir]);
  const relocated = (dir: string): string => join(root, relative(prefix, dir));

  await mkdir(relocated(binaries.binDir), { recursive: true });
  const program = join(relocated(binaries.binDir), 'postgres');
  await copyFile(binaries.postgres, program);
  await mkdir(dirname(relocated(libDir)), { recursive: true });
  await symlink(libDir, relocated(libDir));
  const extensionDir = join(relocated(shareDir), 'extension');
  await mkdir(extensionDir, { recursive: true });
  for (const entry of await readdir(shareDir)) {
    if (entry !== 'extension') await symlink(join(shareDir, entry), join(relocated(shareDir), entry));
  }
  for (const entry of await readdir(join(shareDir, 'extension'))) {
    await symlink(join(shareDir, 'extension', entry), join(extensionDir, entry));
  }
  await writeFile(join(extensionDir, 'timescaledb.control'), control);
  await writeFile(join(extensionDir, 'timescaledb--0.0.0.sql'), script);
  // The server runs as an unprivileged user, who must reach every directory of the tree.
  await runCommand('chmod', ['-R', 'a+rX', root]);
  await chmod(program, 0o755);

  try {
    const server = await startPostgresServer({ serverProgram: program, fsync: false });
    return {
      server,
      destroy: async () => {
        await server.destroy();
        await rm(root, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw error;
  }
}
