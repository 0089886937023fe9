import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { resolveJava } from '../../deploy/local/services/java-runtime.js';
import { ensureKafkaJars } from '../../deploy/local/services/kafka-jars.js';

const SOURCE = fileURLToPath(new URL('../../../test/support/java/KafkaJavaProducer.java', import.meta.url));
const COMMAND_TIMEOUT_MS = 60_000;

export type KafkaCodec = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

/**
 * Kafka's own Java producer (kafka-clients from the broker's jars), one process holding any number of
 * named producers; see test/support/java/KafkaJavaProducer.java for its commands.
 */
export class JavaProducers {
  private readonly answers: string[] = [];
  private waiting: (() => void) | undefined;
  private stderr = '';
  private exitCode: number | null | undefined;
  private readonly exited: Promise<void>;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      this.answers.push(line);
      this.waiting?.();
    });
    child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) =>
      child.on('exit', (code) => {
        this.exitCode = code;
        this.waiting?.();
        resolve();
      }),
    );
  }

  /** Starts the program for `topic` on `brokers` (the broker's own jars: the test's Kafka version). */
  static async start(brokers: string[], topic: string): Promise<JavaProducers> {
    const { libsDir } = await ensureKafkaJars();
    const child = spawn(await resolveJava(), ['-cp', join(libsDir, '*'), SOURCE, brokers.join(','), topic], { stdio: ['pipe', 'pipe', 'pipe'] });
    return new JavaProducers(child);
  }

  async producer(name: string, codec: KafkaCodec, kind: 'transactional' | 'plain'): Promise<void> {
    await this.command(`producer ${name} ${codec} ${kind}`);
  }

  /** Sends asynchronously; `flush` waits for the broker's acknowledgement of every send so far. */
  async send(name: string, partition: number, value: string): Promise<void> {
    await this.command(`send ${name} ${partition} ${Buffer.from(value).toString('base64')}`);
  }

  async flush(name: string): Promise<void> {
    await this.command(`flush ${name}`);
  }

  async begin(name: string): Promise<void> {
    await this.command(`begin ${name}`);
  }

  async commit(name: string): Promise<void> {
    await this.command(`commit ${name}`);
  }

  async abort(name: string): Promise<void> {
    await this.command(`abort ${name}`);
  }

  /** Closes every producer and waits for the program to end. */
  async close(): Promise<void> {
    this.child.stdin.end();
    await this.exited;
    if (this.exitCode !== 0) throw new Error(`the Java producer exited with ${this.exitCode}: ${this.stderr}`);
  }

  private async command(line: string): Promise<void> {
    if (this.exitCode !== undefined) throw new Error(`the Java producer has exited (${this.exitCode}): ${this.stderr}`);
    this.child.stdin.write(`${line}\n`);
    const deadline = Date.now() + COMMAND_TIMEOUT_MS;
    while (this.answers.length === 0) {
      if (this.exitCode !== undefined) throw new Error(`the Java producer exited (${this.exitCode}) at "${line.slice(0, 60)}": ${this.stderr}`);
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`the Java producer did not answer "${line.slice(0, 60)}" within ${COMMAND_TIMEOUT_MS} ms: ${this.stderr}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.waiting = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiting = undefined;
    }
    this.answers.shift();
  }
}
