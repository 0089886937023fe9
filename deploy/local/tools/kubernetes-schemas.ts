import fs from 'node:fs/promises';
import path from 'node:path';
import { resolveCacheDir } from '../system/cache-dir.js';
import { withFileLock } from '../system/file-lock.js';
import { goModuleSourceDir } from './go-module-source.js';
import { kindSchemaFiles, type SwaggerDocument } from './openapi-to-json-schema.js';
import { KUBERNETES_VERSION } from './tool-versions.js';

const VARIANTS = [
  { suffix: '-standalone', strict: false },
  { suffix: '-standalone-strict', strict: true },
] as const;

function schemaRoot(): string {
  return path.join(resolveCacheDir(), 'kubernetes-json-schema');
}

function variantDir(suffix: string): string {
  return path.join(schemaRoot(), `${KUBERNETES_VERSION}${suffix}`);
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}

async function writeVariant(document: SwaggerDocument, suffix: string, strict: boolean): Promise<void> {
  const target = variantDir(suffix);
  const partial = `${target}.partial-${process.pid}`;
  await fs.rm(partial, { recursive: true, force: true });
  await fs.mkdir(partial, { recursive: true });
  for (const { fileName, schema } of kindSchemaFiles(document, strict)) {
    await fs.writeFile(path.join(partial, fileName), JSON.stringify(schema));
  }
  await fs.rm(target, { recursive: true, force: true });
  await fs.rename(partial, target);
}

/**
 * Offline replacement for kubeconform's default schema download: generates JSON schemas
 * for every built-in kind of Kubernetes `KUBERNETES_VERSION` from the OpenAPI document
 * that ships in the k8s.io/kubernetes Go module (api/openapi-spec/swagger.json).
 * Returns a value for `kubeconform -schema-location`; `-strict` picks the strict variant.
 */
export async function ensureKubernetesSchemas(): Promise<string> {
  const location = path.join(schemaRoot(), `${KUBERNETES_VERSION}-standalone{{ .StrictSuffix }}`, '{{ .ResourceKind }}{{ .KindSuffix }}.json');
  const isComplete = async (): Promise<boolean> => (await Promise.all(VARIANTS.map(({ suffix }) => exists(variantDir(suffix))))).every(Boolean);
  if (await isComplete()) return location;
  await withFileLock(path.join(resolveCacheDir(), 'locks', `kubernetes-json-schema-${KUBERNETES_VERSION}`), async () => {
    if (await isComplete()) return;
    const source = await goModuleSourceDir('k8s.io/kubernetes', KUBERNETES_VERSION);
    const swagger = path.join(source, 'api', 'openapi-spec', 'swagger.json');
    const document = JSON.parse(await fs.readFile(swagger, 'utf8')) as SwaggerDocument;
    for (const { suffix, strict } of VARIANTS) await writeVariant(document, suffix, strict);
  });
  return location;
}
