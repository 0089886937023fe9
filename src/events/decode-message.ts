import type { EventLimits } from './event-limits.js';
import { EventRejection } from './rejection.js';
import { scanEvent, type ScannedEvent } from './scan-json.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

export type JsonObject = { [key: string]: unknown };

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A message value as an object, and the raw text of its members for `event_data`, scanned on demand. */
export interface DecodedEvent {
  value: JsonObject;
  members(): ScannedEvent;
}

function occurrences(text: string, char: string): number {
  let count = 0;
  for (let at = text.indexOf(char); at !== -1; at = text.indexOf(char, at + 1)) count += 1;
  return count;
}

/**
 * Whether the text could hold what the scan rejects: a \u escape (NUL, lone surrogates), a number with an
 * exponent or over 16 digits, or more brackets than the depth limit. Most events hold none of these
 * and skip the scan, which costs as much as JSON.parse itself.
 */
function needsScan(text: string, maxDepth: number): boolean {
  return text.includes('\\u') || /\d[eE]|\d{17}/.test(text) || occurrences(text, '{') + occurrences(text, '[') > maxDepth;
}

/**
 * Turns a Kafka message value into a JSON object, or rejects it. Values over the size limit, bytes that
 * are not UTF-8, JSON that is not an object or nests too deep, and numbers or strings PostgreSQL cannot
 * hold are rejected here, so nothing is stored altered.
 */
export function decodeMessage(value: Buffer | null, limits: EventLimits): DecodedEvent {
  if (value === null || value.length === 0) throw new EventRejection('invalid_json', 'message has no value');
  if (value.length > limits.maxBytes) {
    throw new EventRejection('too_large', `message value is ${value.length} bytes, more than the ${limits.maxBytes} allowed`);
  }
  let text: string;
  try {
    text = utf8.decode(value);
  } catch {
    throw new EventRejection('invalid_json', 'message value is not valid UTF-8');
  }
  let parsed: unknown;
  try {
    // V8's JSON.parse is iterative, so any depth parses; the scan enforces the limit.
    parsed = JSON.parse(text);
  } catch (error) {
    throw new EventRejection('invalid_json', `message value is not JSON: ${(error as Error).message}`);
  }
  if (!isJsonObject(parsed)) throw new EventRejection('not_an_object', 'message value is JSON but not an object');
  let scanned = needsScan(text, limits.maxDepth) ? scanEvent(text, limits.maxDepth) : undefined;
  return { value: parsed, members: () => (scanned ??= scanEvent(text, limits.maxDepth)) };
}
