import { randomUUID } from 'node:crypto';
import kafkajs, { CompressionTypes, type Kafka } from 'kafkajs';
import { registerCompressionCodecs } from '../../src/kafka/compression-codecs.js';

interface Codec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

const names = [
  [CompressionTypes.GZIP, 'gzip'],
  [CompressionTypes.Snappy, 'snappy'],
  [CompressionTypes.LZ4, 'lz4'],
  [CompressionTypes.ZSTD, 'zstd'],
] as const;

/**
 * The codecs of the compressed record batches in `topic`, seen by a kafkajs consumer in this process that
 * reads its first `messages` messages: what a test produced is checked to be what the broker stored.
 */
export async function compressedCodecsIn(kafka: Kafka, topic: string, messages: number): Promise<Set<string>> {
  registerCompressionCodecs();
  const { CompressionCodecs } = kafkajs;
  const seen = new Set<string>();
  const registered = names.map(([type]) => [type, CompressionCodecs[type]] as const);
  for (const [type, name] of names) {
    const codec = CompressionCodecs[type]() as Codec;
    CompressionCodecs[type] = () => ({
      compress: (encoder: { buffer: Buffer }) => codec.compress(encoder),
      decompress: (buffer: Buffer) => {
        seen.add(name);
        return codec.decompress(buffer);
      },
    });
  }
  const consumer = kafka.consumer({ groupId: `codec-reader-${randomUUID()}` });
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    let read = 0;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${read} of ${messages} messages of ${topic} in 30 s`)), 30_000);
      void consumer.run({
        eachBatch: async ({ batch }) => {
          read += batch.messages.length;
          if (read >= messages) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
    for (const [type, codec] of registered) CompressionCodecs[type] = codec;
  }
  return seen;
}
