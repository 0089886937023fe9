import { EventRejection } from './rejection.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

export type JsonObject = { [key: string]: unknown };

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Finds the first string (key or value) that PostgreSQL could not store unaltered. */
function checkStrings(value: unknown, path: string): void {
  if (typeof value === 'string') {
    if (value.includes('\u0000')) throw new EventRejection('nul_character', `${path} contains a NUL character`);
    if (!value.isWellFormed()) throw new EventRejection('invalid_json', `${path} contains an unpaired UTF-16 surrogate`);
  } else if (Array.isArray(value)) {
    value.forEach((item, index) => checkStrings(item, `${path}[${index}]`));
  } else if (isJsonObject(value)) {
    for (const [key, item] of Object.entries(value)) {
      checkStrings(key, `${path} key`);
      checkStrings(item, path === '' ? key : `${path}.${key}`);
    }
  }
}

/**
 * Turns a Kafka message value into a JSON object, or rejects it. Bytes that are not UTF-8, JSON that is
 * not an object and strings PostgreSQL cannot hold are rejected here, so nothing is stored altered.
 */
export function decodeMessage(value: Buffer | null): JsonObject {
  if (value === null || value.length === 0) throw new EventRejection('invalid_json', 'message has no value');
  let text: string;
  try {
    text = utf8.decode(value);
  } catch {
    throw new EventRejection('invalid_json', 'message value is not valid UTF-8');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new EventRejection('invalid_json', `message value is not JSON: ${(error as Error).message}`);
  }
  if (!isJsonObject(parsed)) throw new EventRejection('not_an_object', 'message value is JSON but not an object');
  // Valid UTF-8 has neither NUL in a JSON string nor lone surrogates: only a \u escape can bring them.
  if (text.includes('\\u')) checkStrings(parsed, '');
  return parsed;
}
