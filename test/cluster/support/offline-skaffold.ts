import fs from 'node:fs/promises';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parseDocument, type Document } from 'yaml';

/**
 * What the cluster tests change in the user's skaffold configuration (skaffold.yaml and deploy/skaffold.yaml,
 * as a developer runs them with `skaffold dev` and no flags), and why: only what a machine without a Docker
 * daemon and without internet forces. Everything else (the chart release and its values, the local stack's
 * manifests, the port forward, the tag policy, the module order) is the user's file as it is.
 */
export interface OfflineSubstitution {
  /** The file it changes, relative to the checkout. */
  readonly file: string;
  /** The field it changes, as `path: what it was -> what it becomes`. */
  readonly change: string;
  readonly reason: string;
  apply(document: Document): void;
}

/** The skaffold flags the tests add to the user's command line, with the reason for each. */
export interface OfflineFlag {
  readonly flags: readonly string[];
  readonly reason: string;
}

/** Throws when the user's file no longer holds `expected` at `at`: the substitution would then change something else. */
function expectIn(document: Document, at: readonly (string | number)[], expected: unknown, file: string): void {
  const actual = at.reduce<unknown>((node, key) => (typeof node === 'object' && node !== null ? (node as Record<string | number, unknown>)[key] : undefined), document.toJS());
  if (!isDeepStrictEqual(actual, expected)) {
    throw new Error(`${file}: ${at.join('.')} is ${JSON.stringify(actual)}, not ${JSON.stringify(expected)}; update the cluster tests' substitutions (test/cluster/support/offline-skaffold.ts)`);
  }
}

const ROOT = 'skaffold.yaml';
const SERVICES = 'deploy/skaffold.yaml';
/** What .dockerignore lets into the build context, and the Dockerfile itself: what the docker builder would watch. */
const APPLICATION_INPUTS = ['Dockerfile', 'package.json', 'package-lock.json', 'patches', 'tsconfig.json', 'src', 'migrations'];

function customBuild(command: string, paths: readonly string[]): { custom: { buildCommand: string; dependencies: { paths: readonly string[] } } } {
  return { custom: { buildCommand: command, dependencies: { paths } } };
}

export const OFFLINE_SUBSTITUTIONS: readonly OfflineSubstitution[] = [
  {
    file: ROOT,
    change: 'build.artifacts[todo-history]: docker (Dockerfile) -> custom (podman builds the same Dockerfile)',
    reason: 'there is no Docker daemon, and no registry serves the Dockerfile\'s base images: deploy/local/image/skaffold-build-cli.ts builds the Dockerfile with podman, passing the offline stand-ins of those images as its NODE_IMAGE and RUNTIME_IMAGE build arguments',
    apply(document) {
      expectIn(document, ['build', 'artifacts', 0], { image: 'todo-history', docker: { dockerfile: 'Dockerfile' } }, ROOT);
      document.deleteIn(['build', 'artifacts', 0, 'docker']);
      document.setIn(['build', 'artifacts', 0, 'custom'], document.createNode(customBuild('node dist/deploy/local/image/skaffold-build-cli.js application', APPLICATION_INPUTS).custom));
    },
  },
  {
    file: SERVICES,
    change: 'manifests.kustomize.paths: [k8s/base] -> [local/cluster/stand-ins] (k8s/base with its two public images retagged)',
    reason: 'no registry serves apache/kafka and timescale/timescaledb here: the overlay drops the database image\'s digest, which skaffold would otherwise leave in place, so that skaffold puts the stand-ins it builds into the same manifests',
    apply(document) {
      expectIn(document, ['manifests', 'kustomize', 'paths'], ['k8s/base'], SERVICES);
      document.setIn(['manifests', 'kustomize', 'paths'], document.createNode(['local/cluster/stand-ins']));
    },
  },
  {
    file: SERVICES,
    change: 'build: none -> artifacts apache/kafka and timescale/timescaledb, custom (tags the prebuilt stand-ins)',
    reason: 'the stand-ins (deploy/local/image/service-stand-ins.ts: Kafka\'s jars on Debian\'s Java; Debian\'s PostgreSQL 17 with TimescaleDB built from ../shared/vendor) are built from the Debian mirror before the cluster starts; the builder tags them and pushes them to the cluster\'s registry',
    apply(document) {
      expectIn(document, ['build'], undefined, SERVICES);
      document.set('build', document.createNode({
        tagPolicy: { inputDigest: {} },
        artifacts: [
          { image: 'apache/kafka', ...customBuild('node ../dist/deploy/local/image/skaffold-build-cli.js kafka', []) },
          { image: 'timescale/timescaledb', ...customBuild('node ../dist/deploy/local/image/skaffold-build-cli.js timescaledb', []) },
        ],
      }));
    },
  },
];

/** The flags of every skaffold command of the cluster tests, beyond the user's `skaffold dev` (or run, delete). */
export function offlineFlags(registry: string, namespace: string): readonly OfflineFlag[] {
  return [
    { flags: [`--default-repo=${registry}`, `--insecure-registry=${registry}`], reason: 'the images go to the cluster\'s own registry (plain HTTP, inside its network namespace), where kind would load them into its node' },
    { flags: [`--namespace=${namespace}`], reason: 'each scenario in a namespace of its own, deleted afterwards' },
    { flags: ['--interactive=false', '--update-check=false'], reason: 'no terminal to prompt on, and no network to check for a newer skaffold' },
  ];
}

/** Applies every substitution to the copies of the user's files in `checkout`. */
export async function applyOfflineSubstitutions(checkout: string): Promise<void> {
  for (const file of new Set(OFFLINE_SUBSTITUTIONS.map((substitution) => substitution.file))) {
    const target = path.join(checkout, file);
    const document = parseDocument(await fs.readFile(target, 'utf8'));
    for (const substitution of OFFLINE_SUBSTITUTIONS.filter((candidate) => candidate.file === file)) substitution.apply(document);
    await fs.writeFile(target, document.toString());
  }
}

/** The substitutions and flags as lines for the test's output. */
export function describeOfflineChanges(registry: string): string[] {
  return [
    ...OFFLINE_SUBSTITUTIONS.map((substitution) => `${substitution.file}: ${substitution.change}, because ${substitution.reason}`),
    ...offlineFlags(registry, 'NAMESPACE').map((flag) => `${flag.flags.join(' ')}: ${flag.reason}`),
  ];
}
