/**
 * Converts the Kubernetes swagger 2.0 document (api/openapi-spec/swagger.json) into
 * per-kind JSON schemas laid out like yannh/kubernetes-json-schema, which is what
 * kubeconform's `-schema-location` templates expect. Mirrors the adjustments of
 * kubeconform's openapi2jsonschema.py: int-or-string becomes string|integer, strict
 * variants forbid unknown properties, optional fields accept null.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export interface SwaggerDocument {
  definitions: Record<string, JsonObject>;
}

export interface KindSchemaFile {
  /** File name as kubeconform's `{{ .ResourceKind }}{{ .KindSuffix }}.json` renders it. */
  fileName: string;
  schema: JsonObject;
}

const DEFINITION_REF_PREFIX = '#/definitions/';
const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** kubeconform: lower-cased kind, then the first DNS label of the group (none for core), then the version. */
export function kubeconformFileName({ group, version, kind }: GroupVersionKind): string {
  const groupPart = group === '' ? '' : `-${(group.split('.')[0] ?? group).toLowerCase()}`;
  return `${kind.toLowerCase()}${groupPart}-${version.toLowerCase()}.json`;
}

function groupVersionKinds(definition: JsonObject): GroupVersionKind[] {
  const entries = definition['x-kubernetes-group-version-kind'];
  if (!Array.isArray(entries)) return [];
  return entries.filter(isObject).flatMap((entry) => {
    const { group, version, kind } = entry;
    return typeof group === 'string' && typeof version === 'string' && typeof kind === 'string' ? [{ group, version, kind }] : [];
  });
}

function nullable(schema: JsonObject): JsonObject {
  const type = schema['type'];
  if (typeof type === 'string') return { ...schema, type: [type, 'null'] };
  if (typeof schema['$ref'] === 'string' || Array.isArray(schema['oneOf'])) return { anyOf: [schema, { type: 'null' }] };
  return schema;
}

function convertSchema(schema: JsonObject, strict: boolean): JsonObject {
  if (schema['format'] === 'int-or-string') {
    return { oneOf: [{ type: 'string' }, { type: 'integer' }] };
  }
  const converted: JsonObject = { ...schema };
  delete converted['x-kubernetes-group-version-kind'];
  const properties = schema['properties'];
  if (isObject(properties)) {
    const required = new Set((Array.isArray(schema['required']) ? schema['required'] : []).filter((name) => typeof name === 'string'));
    const convertedProperties: JsonObject = {};
    for (const [name, property] of Object.entries(properties)) {
      if (!isObject(property)) continue;
      const convertedProperty = convertSchema(property, strict);
      convertedProperties[name] = required.has(name) ? convertedProperty : nullable(convertedProperty);
    }
    converted['properties'] = convertedProperties;
    if (strict && !('additionalProperties' in schema)) converted['additionalProperties'] = false;
  }
  for (const key of ['items', 'additionalProperties'] as const) {
    const child = schema[key];
    if (isObject(child)) converted[key] = convertSchema(child, strict);
  }
  for (const key of ['allOf', 'anyOf', 'oneOf'] as const) {
    const children = schema[key];
    if (Array.isArray(children)) converted[key] = children.map((child) => (isObject(child) ? convertSchema(child, strict) : child));
  }
  return converted;
}

function convertDefinitions(document: SwaggerDocument, strict: boolean): Record<string, JsonObject> {
  const converted: Record<string, JsonObject> = {};
  for (const [name, definition] of Object.entries(document.definitions)) {
    // The API server accepts plain numbers for quantities (`cpu: 1`); swagger only says "string".
    converted[name] = name === QUANTITY ? { oneOf: [{ type: 'string' }, { type: 'number' }] } : convertSchema(definition, strict);
  }
  return converted;
}

function collectReferences(value: JsonValue, found: Set<string>): void {
  if (Array.isArray(value)) {
    for (const item of value) collectReferences(item, found);
  } else if (isObject(value)) {
    for (const [key, child] of Object.entries(value)) {
      if (key === '$ref' && typeof child === 'string' && child.startsWith(DEFINITION_REF_PREFIX)) {
        found.add(child.slice(DEFINITION_REF_PREFIX.length));
      } else {
        collectReferences(child, found);
      }
    }
  }
}

/** Definitions reachable from `root`, so each kind's file is self-contained ("standalone"). */
function referencedDefinitions(root: JsonObject, definitions: Record<string, JsonObject>): JsonObject {
  const closure: JsonObject = {};
  const queue = new Set<string>();
  collectReferences(root, queue);
  for (const name of queue) {
    const definition = definitions[name];
    if (definition === undefined || name in closure) continue;
    closure[name] = definition;
    collectReferences(definition, queue); // Adding to a Set while iterating visits the new entries too.
  }
  return closure;
}

/** One schema file per group/version/kind of the API. */
export function kindSchemaFiles(document: SwaggerDocument, strict: boolean): KindSchemaFile[] {
  const definitions = convertDefinitions(document, strict);
  const files: KindSchemaFile[] = [];
  for (const [name, original] of Object.entries(document.definitions)) {
    const kinds = groupVersionKinds(original);
    const root = definitions[name];
    if (kinds.length === 0 || root === undefined) continue;
    const closure = referencedDefinitions(root, definitions);
    for (const gvk of kinds) {
      const schema: JsonObject = { ...root };
      if (Object.keys(closure).length > 0) schema['definitions'] = closure;
      files.push({ fileName: kubeconformFileName(gvk), schema });
    }
  }
  return files;
}
