import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { CompressionTypes, type KafkaJSRecordBatchDecodeError } from 'kafkajs';
import * as snappy from 'snappyjs';
import { registerCompressionCodecs, snappyDecompress } from '../../src/kafka/compression-codecs.js';

// kafkajs' own record batch encoder and fetch decoder (patched: patches/kafkajs+2.2.4.patch), so the codecs
// are exercised the way a fetch uses them.
const require = createRequire(import.meta.url);
interface Encoded {
  buffer: Buffer;
}
interface DecodedRecord {
  offset: string;
  value: Buffer;
}
type RecordBatchEncoder = (batch: { compression: CompressionTypes; firstOffset: bigint; lastOffsetDelta: number; records: unknown[] }) => Promise<Encoded>;
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as { RecordBatch: RecordBatchEncoder };
const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (record: { offsetDelta: number; key: Buffer | null; value: Buffer }) => unknown;
const Decoder = require('kafkajs/src/protocol/decoder.js') as new (buffer: Buffer) => unknown;
const decodeMessages = require('kafkajs/src/protocol/requests/fetch/v4/decodeMessages.js') as (
  decoder: unknown,
) => Promise<{ messages: DecodedRecord[]; decodeError?: KafkaJSRecordBatchDecodeError }>;
const Long = require('kafkajs/src/utils/long.js') as { fromValue(value: bigint | string): bigint };

registerCompressionCodecs();

const event = (n: number): Buffer => Buffer.from(JSON.stringify({ id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`, type: 'todo.updated', changes: { title: `Buy milk #${n}` } }));

async function recordBatch(compression: CompressionTypes, firstOffset: number, count: number): Promise<Buffer> {
  const records = Array.from({ length: count }, (_, delta) => Record({ offsetDelta: delta, key: null, value: event(firstOffset + delta) }));
  const encoded = await RecordBatch({ compression, firstOffset: Long.fromValue(String(firstOffset)), lastOffsetDelta: count - 1, records });
  return encoded.buffer;
}

/** A fetch response's record set for one partition: its size, then the record batches. */
function recordSet(batches: Buffer[]): unknown {
  const body = Buffer.concat(batches);
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return new Decoder(Buffer.concat([size, body]));
}

describe('compression codecs', () => {
  for (const [name, compression] of [
    ['gzip', CompressionTypes.GZIP],
    ['snappy', CompressionTypes.Snappy],
    ['lz4', CompressionTypes.LZ4],
    ['zstd', CompressionTypes.ZSTD],
  ] as const) {
    it(`decodes a ${name} record batch that kafkajs encoded`, async () => {
      const { messages, decodeError } = await decodeMessages(recordSet([await recordBatch(compression, 10, 300)]));
      assert.equal(decodeError, undefined);
      assert.equal(messages.length, 300);
      assert.equal(messages[299]?.offset, '309');
      assert.deepEqual(messages[299]?.value, event(309));
    });
  }

  it('decodes snappy in the xerial framing of the Java client, several blocks, and as one raw block', () => {
    const first = Buffer.from('a'.repeat(40_000));
    const second = Buffer.from('b'.repeat(30_000));
    const block = (data: Buffer): Buffer => {
      const compressed = snappy.compress(data);
      const length = Buffer.alloc(4);
      length.writeInt32BE(compressed.length);
      return Buffer.concat([length, compressed]);
    };
    const header = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1]);
    assert.deepEqual(snappyDecompress(Buffer.concat([header, block(first), block(second)])), Buffer.concat([first, second]));
    assert.deepEqual(snappyDecompress(snappy.compress(first)), first);
  });

  it('names a truncated xerial block instead of decoding part of it', () => {
    const header = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1]);
    const length = Buffer.alloc(4);
    length.writeInt32BE(1_000);
    assert.throws(() => snappyDecompress(Buffer.concat([header, length, Buffer.alloc(10)])), /runs past the 30 bytes of the batch/);
  });
});

describe('a fetch with a record batch that cannot be decoded', () => {
  it('keeps the records before it and reports it with its base offset', async () => {
    const corrupt = await recordBatch(CompressionTypes.LZ4, 2, 3);
    // The compressed records start after the 61 bytes of batch header and record count: break the LZ4 frame's magic.
    corrupt.fill(0, 61, 65);
    const { messages, decodeError } = await decodeMessages(
      recordSet([await recordBatch(CompressionTypes.None, 0, 2), corrupt, await recordBatch(CompressionTypes.ZSTD, 5, 2)]),
    );
    assert.deepEqual(messages.map((message) => message.offset), ['0', '1']);
    assert.equal(decodeError?.name, 'KafkaJSRecordBatchDecodeError');
    assert.equal(decodeError.offset, '2');
    assert.match(decodeError.message, /^record batch at offset 2 cannot be decoded: invalid magic number/);
  });
});
