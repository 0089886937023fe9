import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyOfflineSubstitutions } from './offline-skaffold.js';

const REPOSITORY_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
/** What skaffold.yaml reads (the build context, the chart, deploy/'s manifests), and the overlay of the offline substitutions. */
const ENTRIES = ['skaffold.yaml', 'Dockerfile', '.dockerignore', 'package.json', 'package-lock.json', 'patches', 'tsconfig.json', 'src', 'migrations', 'helm', 'deploy/skaffold.yaml', 'deploy/k8s', 'deploy/local/cluster/stand-ins'];

/**
 * A copy of the repository for skaffold to watch, so a test can change its sources, with the user's skaffold
 * configuration changed only by the offline substitutions (offline-skaffold.ts); the build's dist/ is linked.
 */
export interface DevCheckout {
  readonly directory: string;
  remove(): Promise<void>;
}

export async function createDevCheckout(): Promise<DevCheckout> {
  const directory = await fs.mkdtemp(path.join(os.tmpdir(), 'todo-history-checkout-'));
  for (const entry of ENTRIES) await fs.cp(path.join(REPOSITORY_ROOT, entry), path.join(directory, entry), { recursive: true });
  // The custom builder runs dist/deploy/local/image/skaffold-build-cli.js, which resolves its imports from the real tree.
  await fs.symlink(path.join(REPOSITORY_ROOT, 'dist'), path.join(directory, 'dist'));
  await applyOfflineSubstitutions(directory);
  return { directory, remove: () => fs.rm(directory, { recursive: true, force: true }) };
}
