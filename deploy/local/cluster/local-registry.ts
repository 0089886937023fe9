import fs from 'node:fs/promises';
import path from 'node:path';
import { ManagedProcess } from '../tools/managed-process.js';
import { REGISTRY_PORT } from './cluster-network.js';
import { waitUntilReady } from './component-process.js';

/** host:port of the registry, on the namespace's loopback: skaffold pushes there and containerd pulls from there. */
export const REGISTRY_HOST = `127.0.0.1:${REGISTRY_PORT}`;

function renderConfig(storageDir: string): string {
  return `version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: ${storageDir}
  delete:
    enabled: true
http:
  addr: ${REGISTRY_HOST}
`;
}

/** The CNCF distribution registry over plain HTTP, its storage under `workDir`, thrown away with it. */
export async function startLocalRegistry(binary: string, workDir: string, timeoutMs: number): Promise<ManagedProcess> {
  const directory = path.join(workDir, 'registry');
  await fs.mkdir(path.join(directory, 'storage'), { recursive: true });
  const configFile = path.join(directory, 'config.yml');
  await fs.writeFile(configFile, renderConfig(path.join(directory, 'storage')));
  const registry = new ManagedProcess('registry', binary, ['serve', configFile], path.join(directory, 'registry.log'));
  await waitUntilReady(registry, 'the registry did not answer', async () => (await fetch(`http://${REGISTRY_HOST}/v2/`)).ok, timeoutMs);
  return registry;
}
