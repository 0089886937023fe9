import { EventRejection } from './rejection.js';

/**
 * Where each member's value of one object lies in the event's text, by key; the last of duplicate keys
 * wins, as in JSON.parse. Positions, not strings: most members are never needed as text.
 */
export class RawMembers {
  private readonly index = new Map<string, number>();
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];

  constructor(private readonly text: string) {}

  set(key: string, start: number, end: number): void {
    this.index.set(key, this.starts.length);
    this.starts.push(start);
    this.ends.push(end);
  }

  keys(): IterableIterator<string> {
    return this.index.keys();
  }

  /** The member's value exactly as the producer wrote it. */
  rawValue(key: string): string | undefined {
    const at = this.index.get(key);
    if (at === undefined) return undefined;
    let end = this.ends[at] ?? 0;
    while (isWhitespace(this.text.charCodeAt(end - 1))) end -= 1;
    return this.text.slice(this.starts[at], end);
  }
}

/** What the scan of an event's JSON text found. */
export interface ScannedEvent {
  envelope: RawMembers;
  /** The members of `payload` when it is an object. */
  payload: RawMembers | undefined;
}

// PostgreSQL's numeric, which JSONB stores numbers in, holds up to 131,072 digits before the decimal
// point and 16,383 after it; a number beyond either is refused with 22003 for the whole row.
const maxIntegerDigits = 131_072;
const maxFractionDigits = 16_383;

const quote = 0x22;
const backslash = 0x5c;
const openBrace = 0x7b;
const closeBrace = 0x7d;
const openBracket = 0x5b;
const closeBracket = 0x5d;
const colon = 0x3a;

function isWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
}

function isNumberChar(code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || code === 0x2d || code === 0x2b || code === 0x2e || code === 0x65 || code === 0x45;
}

/** Index of the closing quote of the string that opens at `start`. */
function stringEnd(text: string, start: number): number {
  let end = text.indexOf('"', start + 1);
  for (;;) {
    let backslashes = 0;
    while (text.charCodeAt(end - 1 - backslashes) === backslash) backslashes += 1;
    if (backslashes % 2 === 0) return end;
    end = text.indexOf('"', end + 1);
  }
}

/** Rejects a string token that PostgreSQL could not store unaltered; only a \u escape can hold these. */
function checkString(token: string, path: () => string): void {
  if (!token.includes('\\u')) return;
  const value = JSON.parse(token) as string;
  if (value.includes('\u0000')) throw new EventRejection('nul_character', `${path()} contains a NUL character`);
  if (!value.isWellFormed()) throw new EventRejection('invalid_json', `${path()} contains an unpaired UTF-16 surrogate`);
}

function checkNumber(token: string): void {
  const match = /^-?(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(token);
  if (match === null) return;
  const integer = (match[1] ?? '').replace(/^0+/, '');
  const fraction = match[2] ?? '';
  const exponent = Number(match[3] ?? '0');
  // Trailing zeros count: numeric keeps the scale as written, and so does it for zero.
  const fractionDigits = Math.max(0, fraction.length - exponent);
  const leadingFractionZeros = fraction.length - fraction.replace(/^0+/, '').length;
  const isZero = integer === '' && leadingFractionZeros === fraction.length;
  const integerDigits = isZero ? 0 : integer === '' ? exponent - leadingFractionZeros : integer.length + exponent;
  if (integerDigits > maxIntegerDigits || fractionDigits > maxFractionDigits) {
    throw new EventRejection('number_out_of_range', `number ${token.slice(0, 40)}${token.length > 40 ? '…' : ''} is beyond what PostgreSQL's numeric holds`);
  }
}

/**
 * One pass over the text of a JSON object that JSON.parse has accepted: enforces the nesting limit,
 * rejects numbers and strings PostgreSQL would refuse, and keeps the raw text of the envelope's and the
 * payload's members, so that fields stored in `event_data` keep every digit the producer wrote (a
 * JavaScript number would round 1234567890123456789 and drop 19.90's zero). Iterative: no input depth
 * can overflow the stack.
 */
export function scanEvent(text: string, maxDepth: number): ScannedEvent {
  const envelope = new RawMembers(text);
  let payload: RawMembers | undefined;
  // Per open container: whether it is an object; for the envelope (depth 1) and the payload (depth 2)
  // the key whose value is being read and where that value started.
  const isObject: boolean[] = [];
  let key: string | undefined;
  let payloadKey: string | undefined;
  let valueStart = -1;
  let payloadValueStart = -1;
  let inPayload = false;
  let expectKey = false;
  // Valid UTF-8 has neither NUL in a JSON string nor lone surrogates: only a \u escape can bring them.
  const hasEscapes = text.includes('\\u');
  const path = (): string => (key === undefined ? 'a key' : inPayload && payloadKey !== undefined ? `payload.${payloadKey}` : key);

  const closeMember = (end: number): void => {
    const depth = isObject.length;
    if (depth === 2 && inPayload && payload !== undefined && payloadKey !== undefined && payloadValueStart >= 0) {
      payload.set(payloadKey, payloadValueStart, end);
      payloadValueStart = -1;
    } else if (depth === 1 && key !== undefined && valueStart >= 0) {
      envelope.set(key, valueStart, end);
      valueStart = -1;
    }
  };
  const startValue = (at: number): void => {
    const depth = isObject.length;
    if (depth === 1 && valueStart < 0 && key !== undefined) valueStart = at;
    else if (depth === 2 && inPayload && payloadValueStart < 0 && payloadKey !== undefined) payloadValueStart = at;
  };

  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (isWhitespace(code)) continue;
    if (code === quote) {
      const end = stringEnd(text, i);
      let next = end + 1;
      while (next < text.length && isWhitespace(text.charCodeAt(next))) next += 1;
      if (expectKey && text.charCodeAt(next) === colon) {
        const depth = isObject.length;
        if (hasEscapes) checkString(text.slice(i, end + 1), () => `${path()} key`);
        if (depth === 1 || (depth === 2 && inPayload)) {
          const token = text.slice(i, end + 1);
          const name = token.includes('\\') ? (JSON.parse(token) as string) : token.slice(1, -1);
          if (depth === 1) key = name;
          else payloadKey = name;
        }
        expectKey = false;
        i = next;
        continue;
      }
      startValue(i);
      if (hasEscapes) checkString(text.slice(i, end + 1), path);
      i = end;
      continue;
    }
    if (code === openBrace || code === openBracket) {
      startValue(i);
      if (isObject.length === 1 && code === openBrace && key === 'payload') {
        payload = new RawMembers(text);
        inPayload = true;
        payloadKey = undefined;
      } else if (isObject.length === 1) {
        inPayload = false;
      }
      isObject.push(code === openBrace);
      if (isObject.length > maxDepth) throw new EventRejection('too_deep', `JSON nests deeper than ${maxDepth} levels`);
      expectKey = code === openBrace;
      continue;
    }
    if (code === closeBrace || code === closeBracket) {
      closeMember(i);
      isObject.pop();
      if (isObject.length === 1 && inPayload) inPayload = false;
      continue;
    }
    if (code === 0x2c) {
      closeMember(i);
      expectKey = isObject.at(-1) === true;
      continue;
    }
    startValue(i);
    if (isNumberChar(code)) {
      let end = i + 1;
      let exponent = false;
      for (let c = text.charCodeAt(end); end < text.length && isNumberChar(c); c = text.charCodeAt(++end)) exponent ||= c === 0x65 || c === 0x45;
      // Up to 16 plain digits cannot leave numeric's range; only longer tokens and exponents need a look.
      if (exponent || end - i > 16) checkNumber(text.slice(i, end));
      i = end - 1;
    } else {
      // true, false or null: skip the rest of the word.
      while (i + 1 < text.length && text.charCodeAt(i + 1) >= 0x61 && text.charCodeAt(i + 1) <= 0x7a) i += 1;
    }
  }
  return { envelope, payload };
}
