import { chmod, copyFile, mkdir, mkdtemp, readdir, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { findOrInstallPostgresBinaries } from './postgres-binaries.js';
import { startPostgresServer, type PostgresServerHandle, type PostgresServerOptions } from './postgres-server.js';
import { runCommand } from '../system/run-command.js';

/** Where the files added to a relocated installation go. */
export interface RelocatedDirectories {
  /** The share directory's `extension/`: control files and SQL scripts. */
  readonly extensionDir: string;
  /** `$libdir`: shared libraries. */
  readonly libDir: string;
}

/** A temporary PostgreSQL installation: run `program` (e.g. as startPostgresServer's serverProgram), then remove(). */
export interface RelocatedPostgres {
  readonly program: string;
  remove(): Promise<void>;
}

/** A server running a relocated installation; destroy() stops it and removes the installation. */
export interface RelocatedServer {
  readonly server: PostgresServerHandle;
  destroy(): Promise<void>;
}

function commonDirectory(paths: readonly string[]): string {
  const split = paths.map((path) => path.split(sep));
  const first = split[0] ?? [];
  let length = 0;
  while (length < first.length && split.every((parts) => parts[length] === first[length])) length += 1;
  return first.slice(0, length).join(sep) || sep;
}

async function linkEntries(fromDir: string, toDir: string, except: string): Promise<void> {
  for (const entry of await readdir(fromDir)) {
    if (entry !== except) await symlink(join(fromDir, entry), join(toDir, entry));
  }
}

/**
 * The machine's PostgreSQL with files added, without touching its installation (other runs share it).
 * PostgreSQL finds its share and lib directories relative to its own executable, after resolving
 * symlinks, so a copy of `postgres` runs in a temporary tree laid out like the installation, whose share
 * and lib directories link to the real ones' entries; `addFiles` writes (copies, never links: the server's
 * user may not reach the originals) its files into them. initdb stays the installation's own.
 */
export async function relocatePostgres(addFiles: (dirs: RelocatedDirectories) => Promise<void>): Promise<RelocatedPostgres> {
  const binaries = await findOrInstallPostgresBinaries();
  const { stdout } = await runCommand(join(binaries.binDir, 'pg_config'), ['--sharedir', '--pkglibdir']);
  const [shareDir = '', libDir = ''] = stdout.trim().split('\n');
  const root = await mkdtemp(join(tmpdir(), 'todo-history-relocated-postgres-'));
  const remove = () => rm(root, { recursive: true, force: true });
  try {
    const prefix = commonDirectory([binaries.binDir, shareDir, libDir]);
    const relocated = (dir: string): string => join(root, relative(prefix, dir));
    const dirs = { extensionDir: join(relocated(shareDir), 'extension'), libDir: relocated(libDir) };
    await Promise.all([relocated(binaries.binDir), dirs.extensionDir, dirs.libDir].map((dir) => mkdir(dir, { recursive: true })));
    const program = join(relocated(binaries.binDir), 'postgres');
    await copyFile(binaries.postgres, program);
    await linkEntries(shareDir, relocated(shareDir), 'extension');
    await linkEntries(join(shareDir, 'extension'), dirs.extensionDir, '');
    await linkEntries(libDir, dirs.libDir, '');
    await addFiles(dirs);
    // The server runs as an unprivileged user, who must reach every directory of the tree.
    await runCommand('chmod', ['-R', 'a+rX', root]);
    await chmod(program, 0o755);
    return { program, remove };
  } catch (error) {
    await remove();
    throw error;
  }
}

/** Starts a server of `installation`; the installation is removed with the server, or at once when the start fails. */
export async function startRelocatedServer(installation: RelocatedPostgres, options: PostgresServerOptions): Promise<RelocatedServer> {
  try {
    const server = await startPostgresServer({ ...options, serverProgram: installation.program });
    return {
      server,
      destroy: async () => {
        await server.destroy();
        await installation.remove();
      },
    };
  } catch (error) {
    await installation.remove();
    throw error;
  }
}
