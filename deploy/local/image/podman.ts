import path from 'node:path';
import { resolveCacheDir } from '../system/cache-dir.js';
import { runCommand, type CommandOutput } from '../system/run-command.js';

const PODMAN = '/usr/bin/podman';
const BUILD_TIMEOUT_MS = 20 * 60_000;

/**
 * podman with storage of its own under the cache dir (stand-in base images survive between runs; the
 * machine's /var/lib/containers is left alone), Debian's runc (crun does not run on this hybrid-cgroup
 * host) and cgroupfs (no systemd here).
 */
export function podman(args: readonly string[], options: { cwd?: string; timeoutMs?: number } = {}): Promise<CommandOutput> {
  const storage = path.join(resolveCacheDir(), 'podman');
  return runCommand(PODMAN, [
    '--root', path.join(storage, 'root'),
    '--runroot', path.join(storage, 'run'),
    '--storage-driver', 'overlay',
    '--runtime', '/usr/sbin/runc',
    '--cgroup-manager', 'cgroupfs',
    '--events-backend', 'none',
    ...args,
  ], { cwd: options.cwd, timeoutMs: options.timeoutMs ?? BUILD_TIMEOUT_MS });
}

export async function imageExists(reference: string): Promise<boolean> {
  return podman(['image', 'exists', reference]).then(() => true, () => false);
}

/** Builds `containerfile` in `context` with the host's network (there is no other: no bridge, no CNI for podman here). */
export async function buildImage(context: string, containerfile: string, tag: string, buildArgs: Readonly<Record<string, string>> = {}): Promise<void> {
  const args = ['build', '--network', 'host', '--pull=never', '-f', containerfile, '-t', tag];
  for (const [name, value] of Object.entries(buildArgs)) args.push('--build-arg', `${name}=${value}`);
  await podman([...args, context], { cwd: context });
}

/** Saves `reference` as a docker-archive that `ctr images import` reads. */
export async function saveImage(reference: string, archive: string): Promise<void> {
  await podman(['save', '--format', 'docker-archive', '-o', archive, reference]);
}

export async function imageSizeBytes(reference: string): Promise<number> {
  const { stdout } = await podman(['image', 'inspect', '--format', '{{.Size}}', reference]);
  return Number(stdout.trim());
}

export async function tagImage(source: string, target: string): Promise<void> {
  await podman(['tag', source, target]);
}

/** Pushes `reference` to its registry over plain HTTP (the local cluster's registry has no TLS). */
export async function pushImage(reference: string): Promise<void> {
  await podman(['push', '--tls-verify=false', reference]);
}
