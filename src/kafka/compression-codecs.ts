import { promisify } from 'node:util';
import zlib from 'node:zlib';
import kafkajs, { CompressionTypes } from 'kafkajs';
import * as lz4 from 'lz4js';
import * as snappy from 'snappyjs';

/** What kafkajs calls a codec: `compress` gets its encoder, `decompress` a record batch's records. */
interface KafkaCodec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

const zstdCompress = promisify(zlib.zstdCompress);
const zstdDecompress = promisify(zlib.zstdDecompress);

/** The xerial snappy-java stream header that Kafka's Java client writes: magic, then version and compatible version. */
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_BYTES = XERIAL_MAGIC.length + 8;

/**
 * Snappy as Kafka's producers write it: the Java client in xerial framing (the header, then blocks of a
 * 4-byte big-endian length and a raw snappy block), librdkafka and kafkajs' plug-ins as one raw block.
 */
export function snappyDecompress(buffer: Buffer): Buffer {
  if (!buffer.subarray(0, XERIAL_MAGIC.length).equals(XERIAL_MAGIC)) return snappy.uncompress(buffer);
  const blocks: Buffer[] = [];
  let position = XERIAL_HEADER_BYTES;
  while (position < buffer.length) {
    if (position + 4 > buffer.length) throw new Error(`truncated xerial snappy block length at byte ${position}`);
    const length = buffer.readInt32BE(position);
    const end = position + 4 + length;
    if (length < 0 || end > buffer.length) throw new Error(`xerial snappy block of ${length} bytes at byte ${position} runs past the ${buffer.length} bytes of the batch`);
    blocks.push(snappy.uncompress(buffer.subarray(position + 4, end)));
    position = end;
  }
  return Buffer.concat(blocks);
}

/** The LZ4 frame format, which every Kafka client writes for record batches (magic v2). */
function lz4Decompress(buffer: Buffer): Buffer {
  const decompressed = lz4.decompress(buffer);
  return Buffer.from(decompressed.buffer, decompressed.byteOffset, decompressed.byteLength);
}

function lz4Compress(buffer: Buffer): Buffer {
  const compressed = lz4.compress(buffer);
  return Buffer.from(compressed.buffer, compressed.byteOffset, compressed.byteLength);
}

// snappyjs and lz4js are plain JavaScript: no native addon to match the runtime image's libraries, and
// decompression allocates on the V8 heap, so the heap caps bound it. The napi-rs addons (snappy, lz4-napi)
// decompress faster, but their output buffers live outside the heap: under the image's heap caps, RSS
// grew to ~380 MB in a decompression loop where the JavaScript codecs stayed near 120 MB.
const codecs: Record<CompressionTypes.Snappy | CompressionTypes.LZ4 | CompressionTypes.ZSTD, KafkaCodec> = {
  [CompressionTypes.Snappy]: {
    compress: async ({ buffer }) => snappy.compress(buffer),
    decompress: async (buffer) => snappyDecompress(buffer),
  },
  [CompressionTypes.LZ4]: {
    compress: async ({ buffer }) => lz4Compress(buffer),
    decompress: async (buffer) => lz4Decompress(buffer),
  },
  [CompressionTypes.ZSTD]: {
    compress: ({ buffer }) => zstdCompress(buffer),
    decompress: (buffer) => zstdDecompress(buffer),
  },
};

/**
 * Registers the codecs kafkajs 2.2.4 lacks (it decodes gzip only and throws on the others), process-wide:
 * kafkajs keeps its codecs in one module-level table.
 */
export function registerCompressionCodecs(): void {
  // From the default export: Node finds no named export `CompressionCodecs` in kafkajs' CommonJS.
  const { CompressionCodecs } = kafkajs;
  CompressionCodecs[CompressionTypes.Snappy] = () => codecs[CompressionTypes.Snappy];
  CompressionCodecs[CompressionTypes.LZ4] = () => codecs[CompressionTypes.LZ4];
  CompressionCodecs[CompressionTypes.ZSTD] = () => codecs[CompressionTypes.ZSTD];
}
