import { runCommand } from '../system/run-command.js';

export interface OsUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

// Debian's postgresql package creates "postgres"; without it we make our own system user.
const PREFERRED_USERS = ['postgres', 'todohistory'] as const;
const CREATED_USER = 'todohistory';

/**
 * The unprivileged user to run PostgreSQL as, since initdb and postgres refuse to run as root;
 * undefined when this process is not root and can run them itself.
 */
export async function resolveUnprivilegedUser(): Promise<OsUser | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  for (const name of PREFERRED_USERS) {
    const user = await lookUpUser(name);
    if (user !== undefined) return user;
  }
  try {
    await runCommand('useradd', ['--system', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', CREATED_USER]);
  } catch (error) {
    // Another process may have created it in the meantime.
    const user = await lookUpUser(CREATED_USER);
    if (user !== undefined) return user;
    throw error;
  }
  const created = await lookUpUser(CREATED_USER);
  if (created === undefined) throw new Error(`useradd succeeded but user ${CREATED_USER} cannot be found`);
  return created;
}

async function lookUpUser(name: string): Promise<OsUser | undefined> {
  try {
    const [uid, gid] = await Promise.all([runCommand('id', ['-u', name]), runCommand('id', ['-g', name])]);
    return { name, uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch {
    return undefined;
  }
}
