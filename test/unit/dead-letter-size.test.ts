import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { deadLetterHeaders } from '../../src/kafka/dead-letter-headers.js';
import { fitDeadLetter, recordBatchOverheadBytes, recordSizeBytes } from '../../src/kafka/dead-letter-size.js';

const limit = 1_048_588;
const dlq = { [deadLetterHeaders.reason]: 'invalid_json', [deadLetterHeaders.offset]: '7' };

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

describe('fitDeadLetter', () => {
  it('keeps a letter that fits as it was, with the original headers and the dlq ones', () => {
    const value = Buffer.from('{"eventType":');
    const letter = fitDeadLetter({ key: 'k', value, headers: { source: 'app' } }, dlq, limit);
    assert.deepEqual(letter, { key: 'k', value, headers: { source: 'app', ...dlq } });
  });

  it('cuts a value too large for the topic and says how large it was and what it hashed to', () => {
    const value = Buffer.alloc(limit, 0x61);
    const letter = fitDeadLetter({ key: 'k', value, headers: { source: 'app' } }, dlq, limit);
    assert.ok(recordSizeBytes(letter) + recordBatchOverheadBytes <= limit);
    assert.ok(Buffer.isBuffer(letter.value) && letter.value.length > limit - 2_000);
    assert.equal(letter.headers?.[deadLetterHeaders.valueTruncated], 'true');
    assert.equal(letter.headers?.[deadLetterHeaders.valueBytes], String(limit));
    assert.equal(letter.headers?.[deadLetterHeaders.valueSha256], sha256(value));
    assert.equal(letter.headers?.source, 'app');
  });

  it('drops the original headers and cuts the key when they alone exceed the topic\'s limit', () => {
    const key = Buffer.alloc(600_000, 0x6b);
    const letter = fitDeadLetter({ key, value: Buffer.from('x'), headers: { big: 'h'.repeat(600_000) } }, dlq, limit);
    assert.ok(recordSizeBytes(letter) + recordBatchOverheadBytes <= limit);
    assert.equal(letter.headers?.big, undefined);
    assert.equal(letter.headers?.[deadLetterHeaders.headersDropped], '1');
    assert.equal(letter.headers?.[deadLetterHeaders.keyBytes], '600000');
    assert.equal(letter.headers?.[deadLetterHeaders.keySha256], sha256(key));
    assert.equal(letter.headers?.[deadLetterHeaders.reason], 'invalid_json');
  });
});
