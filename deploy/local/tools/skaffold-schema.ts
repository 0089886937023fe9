import path from 'node:path';
import { goModuleSourceDir } from './go-module-source.js';
import { SKAFFOLD_VERSION } from './tool-versions.js';

/** Newest skaffold.yaml apiVersion (skaffold/v4betaN) that SKAFFOLD_VERSION ships a schema for. */
export const SKAFFOLD_CONFIG_VERSION = 'v4beta14';

/**
 * Path to skaffold's published JSON schema for skaffold.yaml `skaffold/<configVersion>`,
 * taken from the skaffold Go module (docs-v2/content/en/schemas/), no skaffold build needed.
 */
export async function ensureSkaffoldSchema(configVersion: string = SKAFFOLD_CONFIG_VERSION): Promise<string> {
  const source = await goModuleSourceDir('github.com/GoogleContainerTools/skaffold/v2', SKAFFOLD_VERSION);
  return path.join(source, 'docs-v2', 'content', 'en', 'schemas', `${configVersion}.json`);
}
