import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureBaseImageStandIns } from './base-images.js';
import { buildImage, imageSizeBytes } from './podman.js';

const REPOSITORY_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

export interface BuiltImage {
  readonly reference: string;
  readonly sizeBytes: number;
}

/** Builds the repository's Dockerfile, as users do, with the stand-in base images passed as build arguments. */
export async function buildApplicationImage(reference: string): Promise<BuiltImage> {
  const { nodeImage, runtimeImage } = await ensureBaseImageStandIns();
  await buildImage(REPOSITORY_ROOT, path.join(REPOSITORY_ROOT, 'Dockerfile'), reference, { NODE_IMAGE: nodeImage, RUNTIME_IMAGE: runtimeImage });
  return { reference, sizeBytes: await imageSizeBytes(reference) };
}
