import path from 'node:path';
import { resolveCacheDir } from '../system/cache-dir.js';
import { withFileLock } from '../system/file-lock.js';
import { describeError } from '../system/log-tail.js';
import { isExecutable, runCommand } from '../system/run-command.js';

/** Each Debian package the cluster and the image build need, with one program that shows it is installed. */
const REQUIRED_PACKAGES: Readonly<Record<string, string>> = {
  containerd: '/usr/bin/containerd',
  runc: '/usr/sbin/runc',
  'containernetworking-plugins': '/usr/lib/cni/bridge',
  podman: '/usr/bin/podman',
  debootstrap: '/usr/sbin/debootstrap',
  nftables: '/usr/sbin/nft',
  iproute2: '/usr/sbin/ip',
  openssl: '/usr/bin/openssl',
  gcc: '/usr/bin/gcc',
};

const APT_TIMEOUT_MS = 15 * 60_000;
/** Packages that must not change under a running test PostgreSQL (another suite may be using it). */
const PROTECTED_PACKAGE = /^(postgresql|libpq)/;

async function missingPackages(): Promise<string[]> {
  const checks = await Promise.all(Object.entries(REQUIRED_PACKAGES).map(async ([name, program]) => ((await isExecutable(program)) ? [] : [name])));
  return checks.flat();
}

/** Of the packages `apt-get install -s` would install or upgrade (its `Inst NAME ...` lines), the PostgreSQL ones. */
export function protectedPackageChanges(simulationOutput: string): string[] {
  return simulationOutput.split('\n').flatMap((line) => {
    const name = /^Inst (\S+)/.exec(line)?.[1];
    return name !== undefined && PROTECTED_PACKAGE.test(name) ? [name] : [];
  });
}

async function install(packages: readonly string[]): Promise<void> {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (args: readonly string[]): Promise<{ stdout: string }> => runCommand('apt-get', args, { env, timeoutMs: APT_TIMEOUT_MS });
  await apt(['update']);
  const simulation = await apt(['install', '-s', '--no-install-recommends', ...packages]);
  const protectedChanges = protectedPackageChanges(simulation.stdout);
  if (protectedChanges.length > 0) {
    throw new Error(
      `Refusing to install ${packages.join(' ')}: apt would also upgrade ${protectedChanges.join(' ')}, which breaks PostgreSQL servers that are running. Install them by hand when no test is running.`,
    );
  }
  await apt(['install', '-y', '--no-install-recommends', ...packages]);
}

/**
 * Installs, with apt, the Debian packages the cluster needs that are missing (a fresh CI machine
 * has none of them), after checking that doing so upgrades no PostgreSQL package.
 */
export async function ensureClusterPackages(): Promise<void> {
  if ((await missingPackages()).length === 0) return;
  await withFileLock(path.join(resolveCacheDir(), 'locks', 'cluster-packages'), async () => {
    const missing = await missingPackages();
    if (missing.length === 0) return;
    try {
      await install(missing);
    } catch (error) {
      throw new Error(`Installing the cluster's Debian packages failed: ${describeError(error)}`, { cause: error });
    }
    const stillMissing = await missingPackages();
    if (stillMissing.length > 0) throw new Error(`apt-get installed ${missing.join(' ')} but these are still missing: ${stillMissing.join(' ')}`);
  });
}
