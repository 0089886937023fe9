import { appendFile, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveCacheDir } from '../system/cache-dir.js';
import { findFreePorts, LOOPBACK_HOST } from '../system/free-port.js';
import { resolveJava } from './java-runtime.js';
import { ClassDataArchive } from './kafka-class-data-archive.js';
import {
  generateClusterId,
  KAFKA_NODE_ID,
  renderLog4jConfig,
  renderServerProperties,
  scramCredentialArguments,
  type KafkaQuorumVoter,
  type KafkaSaslUser,
  type SaslSslListenerSettings,
} from './kafka-broker-config.js';
import { DEFAULT_KAFKA_VERSION, ensureKafkaJars } from './kafka-jars.js';
import { isKafkaBrokerReady } from './kafka-readiness.js';
import { describeError } from '../system/log-tail.js';
import { sendSignal } from '../system/process-liveness.js';
import { runCommand } from '../system/run-command.js';
import { ServiceProcess } from './service-process.js';
import { LocalService } from './local-service.js';
import { TLS_SERVER_NAME, type TestCertificates } from './test-certificates.js';

/** A SASL_SSL listener next to the plaintext one, as managed Kafka services offer. */
export interface KafkaSaslSslOptions {
  /** Its certificate and key, and the CA whose client certificates it accepts (mutual TLS is optional). */
  readonly certificates: TestCertificates;
  readonly scramUser: KafkaSaslUser;
  readonly plainUser: KafkaSaslUser;
}

export interface KafkaBrokerOptions {
  /** An org.apache.kafka:kafka_2.13 version from Maven Central; defaults to DEFAULT_KAFKA_VERSION. */
  readonly version?: string;
  /** Where downloaded jars are kept; defaults to $TODO_HISTORY_CACHE or ~/.cache/todo-history. */
  readonly cacheDir?: string;
  /** JVM maximum heap, as for -Xmx. Default 512m. */
  readonly maxHeap?: string;
  /** Default 120 s. */
  readonly startupTimeoutMs?: number;
  /** How long stop() waits after SIGTERM before SIGKILL. Default 30 s. */
  readonly stopTimeoutMs?: number;
  /** Extra or overriding server.properties entries. */
  readonly serverProperties?: Readonly<Record<string, string>>;
  /** Start the JVM from a cached class-data-sharing archive (HotSpot only). Default true. */
  readonly classDataSharing?: boolean;
  /**
   * Address clients are given, default 127.0.0.1. Any other makes the broker listen on every address,
   * so use one only in a network namespace of its own (the cluster tests give their node IP).
   */
  readonly advertisedHost?: string;
  /** Also serve SASL_SSL (SCRAM-SHA-512 and PLAIN) on a port of its own, advertised as TLS_SERVER_NAME. */
  readonly saslSsl?: KafkaSaslSslOptions;
}

export interface KafkaBrokerHandle {
  /** Bootstrap address for clients: "127.0.0.1:PORT" (or the advertised host). */
  readonly brokers: string;
  /** Bootstrap address of the SASL_SSL listener, "localhost:PORT"; undefined without one. */
  readonly saslSslBrokers: string | undefined;
  /** Its KRaft node id: KAFKA_NODE_ID for a single broker. */
  readonly nodeId: number;
  readonly port: number;
  readonly controllerPort: number;
  readonly version: string;
  readonly clusterId: string;
  /** Holds server.properties, the data dir and the log; removed by destroy(). */
  readonly workDir: string;
  /** JVM output and broker log. */
  readonly logFile: string;
  readonly isRunning: boolean;
  /** Starts the broker again on the same ports and data after stop() or kill(). */
  start(): Promise<void>;
  /** Graceful shutdown: SIGTERM, then SIGKILL after the stop timeout. Data is kept. */
  stop(): Promise<void>;
  /** SIGKILL, as in a crash. Data is kept. */
  kill(): Promise<void>;
  /**
   * SIGSTOP, as in a long GC pause or a hung host: the node answers nothing but its connections stay
   * open, so requests to it wait. kill() ends it; nothing resumes it.
   */
  freeze(): void;
  /** Stops the broker and deletes its files. */
  destroy(): Promise<void>;
}

const DEFAULT_MAX_HEAP = '512m';
const DEFAULT_STARTUP_TIMEOUT_MS = 120_000;
const DEFAULT_STOP_TIMEOUT_MS = 30_000;
const FORMAT_TIMEOUT_MS = 120_000;
// Kafka's own launcher flags (kafka-run-class.sh), minus JMX.
const JVM_FLAGS = ['-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-XX:InitiatingHeapOccupancyPercent=35', '-XX:+ExplicitGCInvokesConcurrent', '-Djava.awt.headless=true'];

/** Downloads (once) and starts a single-node KRaft Kafka broker on free loopback ports. */
export async function startKafkaBroker(options: KafkaBrokerOptions = {}): Promise<KafkaBrokerHandle> {
  const runtime = await resolveKafkaRuntime(options);
  const [brokerPort, controllerPort, saslSslPort] = await findFreePorts(3);
  if (brokerPort === undefined || controllerPort === undefined || saslSslPort === undefined) throw new Error('Could not find three free ports for Kafka');
  const saslSsl = options.saslSsl === undefined ? undefined : await saslSslListener(options.saslSsl, saslSslPort);
  const broker = await prepareKafkaNode(runtime, options, { nodeId: KAFKA_NODE_ID, brokerPort, controllerPort, clusterId: generateClusterId(), saslSsl });
  try {
    await broker.start();
    return broker;
  } catch (error) {
    await broker.destroy().catch(() => undefined);
    throw error;
  }
}

/** The Kafka version's jars and the Java that runs them, shared by every node started from them. */
export interface KafkaRuntime {
  readonly version: string;
  readonly java: string;
  readonly runtimeDir: string;
  readonly libsDir: string;
}

/** Downloads the version's jars (once) and finds Java. */
export async function resolveKafkaRuntime(options: Pick<KafkaBrokerOptions, 'version' | 'cacheDir'>): Promise<KafkaRuntime> {
  const version = options.version ?? DEFAULT_KAFKA_VERSION;
  const [{ runtimeDir, libsDir }, java] = await Promise.all([ensureKafkaJars(version, options.cacheDir ?? resolveCacheDir()), resolveJava()]);
  return { version, java, runtimeDir, libsDir };
}

/** Where one node of a cluster sits: its id, its ports and the cluster it belongs to. */
export interface KafkaNodePlacement {
  readonly nodeId: number;
  readonly brokerPort: number;
  readonly controllerPort: number;
  readonly clusterId: string;
  /** Every controller of the cluster; a single node votes alone without it. */
  readonly voters?: readonly KafkaQuorumVoter[];
  readonly saslSsl?: SaslSslListenerSettings | undefined;
}

/**
 * A broker+controller node in a temporary work dir, configured and formatted but not started: a
 * cluster's nodes must start together, since none is ready before a majority of controllers runs.
 */
export async function prepareKafkaNode(runtime: KafkaRuntime, options: KafkaBrokerOptions, placement: KafkaNodePlacement): Promise<KafkaBrokerHandle> {
  const classDataArchive = options.classDataSharing === false ? undefined : await ClassDataArchive.locate(runtime.runtimeDir, runtime.libsDir, runtime.java);
  const workDir = await mkdtemp(join(tmpdir(), 'todo-history-kafka-'));
  const broker = new LocalKafkaBroker({
    version: runtime.version,
    java: runtime.java,
    classpath: join(runtime.libsDir, '*'),
    classDataArchive,
    workDir,
    nodeId: placement.nodeId,
    brokerPort: placement.brokerPort,
    controllerPort: placement.controllerPort,
    voters: placement.voters,
    clusterId: placement.clusterId,
    maxHeap: options.maxHeap ?? DEFAULT_MAX_HEAP,
    startupTimeoutMs: options.startupTimeoutMs ?? DEFAULT_STARTUP_TIMEOUT_MS,
    stopTimeoutMs: options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS,
    advertisedHost: options.advertisedHost ?? LOOPBACK_HOST,
    saslSsl: placement.saslSsl,
  });
  try {
    await broker.prepare(options.serverProperties ?? {});
    return broker;
  } catch (error) {
    await broker.destroy().catch(() => undefined);
    throw error;
  }
}

async function saslSslListener({ certificates, scramUser, plainUser }: KafkaSaslSslOptions, port: number): Promise<SaslSslListenerSettings> {
  const [certificatePem, keyPem, caPem] = await Promise.all([
    readFile(certificates.serverCertificateFile, 'utf8'),
    readFile(certificates.serverKeyFile, 'utf8'),
    readFile(certificates.caFile, 'utf8'),
  ]);
  return { port, advertisedHost: TLS_SERVER_NAME, certificatePem, keyPem, caPem, scramUser, plainUser };
}

interface LocalKafkaBrokerSettings {
  readonly version: string;
  readonly java: string;
  readonly classpath: string;
  readonly classDataArchive: ClassDataArchive | undefined;
  readonly workDir: string;
  readonly nodeId: number;
  readonly brokerPort: number;
  readonly controllerPort: number;
  readonly voters: readonly KafkaQuorumVoter[] | undefined;
  readonly clusterId: string;
  readonly maxHeap: string;
  readonly startupTimeoutMs: number;
  readonly stopTimeoutMs: number;
  readonly advertisedHost: string;
  readonly saslSsl: SaslSslListenerSettings | undefined;
}

class LocalKafkaBroker extends LocalService implements KafkaBrokerHandle {
  readonly brokers: string;
  readonly saslSslBrokers: string | undefined;
  readonly logFile: string;
  private readonly serverPropertiesFile: string;
  private readonly log4jConfigFile: string;

  constructor(private readonly settings: LocalKafkaBrokerSettings) {
    super(settings.workDir);
    this.brokers = `${settings.advertisedHost}:${settings.brokerPort}`;
    this.saslSslBrokers = settings.saslSsl === undefined ? undefined : `${settings.saslSsl.advertisedHost}:${settings.saslSsl.port}`;
    this.logFile = join(settings.workDir, 'kafka.log');
    this.serverPropertiesFile = join(settings.workDir, 'server.properties');
    this.log4jConfigFile = join(settings.workDir, 'log4j2.properties');
  }

  get nodeId(): number {
    return this.settings.nodeId;
  }
  get port(): number {
    return this.settings.brokerPort;
  }
  get controllerPort(): number {
    return this.settings.controllerPort;
  }
  get version(): string {
    return this.settings.version;
  }
  get clusterId(): string {
    return this.settings.clusterId;
  }

  /** Writes the configuration and formats the KRaft storage (once per data dir). */
  async prepare(serverPropertyOverrides: Readonly<Record<string, string>>): Promise<void> {
    const dataDir = join(this.settings.workDir, 'data');
    await mkdir(dataDir);
    await writeFile(
      this.serverPropertiesFile,
      renderServerProperties({
        brokerPort: this.settings.brokerPort,
        controllerPort: this.settings.controllerPort,
        dataDir,
        advertisedHost: this.settings.advertisedHost,
        saslSsl: this.settings.saslSsl,
        overrides: serverPropertyOverrides,
        ...(this.settings.voters === undefined ? {} : { quorum: { nodeId: this.settings.nodeId, voters: this.settings.voters } }),
      }),
    );
    await writeFile(this.log4jConfigFile, renderLog4jConfig());
    const storageTool = ['kafka.tools.StorageTool', 'format', '--cluster-id', this.settings.clusterId, '--config', this.serverPropertiesFile, ...scramCredentialArguments(this.settings.saslSsl)];
    // A short-lived JVM: skipping the optimising compiler makes it start faster.
    const jvmArgs = ['-Xmx256m', '-XX:TieredStopAtLevel=1', `-Dlog4j2.configurationFile=${this.log4jConfigFile}`, '-cp', this.settings.classpath];
    try {
      const { stdout, stderr } = await runCommand(this.settings.java, [...jvmArgs, ...storageTool], { cwd: this.settings.workDir, timeoutMs: FORMAT_TIMEOUT_MS });
      await appendFile(this.logFile, stdout + stderr);
    } catch (error) {
      throw new Error(`Formatting Kafka storage in ${dataDir} failed: ${describeError(error)}`);
    }
  }

  async start(): Promise<void> {
    if (this.isRunning) throw new Error(`Kafka broker ${this.brokers} is already running`);
    const service = await ServiceProcess.spawn({
      name: `Kafka ${this.settings.version} broker on ${this.brokers}`,
      command: this.settings.java,
      args: [
        `-Xmx${this.settings.maxHeap}`,
        ...JVM_FLAGS,
        ...((await this.settings.classDataArchive?.jvmFlags()) ?? []),
        `-Dlog4j2.configurationFile=${this.log4jConfigFile}`,
        '-cp',
        this.settings.classpath,
        'kafka.Kafka',
        this.serverPropertiesFile,
      ],
      cwd: this.settings.workDir,
      logFile: this.logFile,
      orphanSignal: 'SIGKILL',
      workDir: this.settings.workDir,
    });
    await this.awaitReady(service, () => isKafkaBrokerReady(this.brokers, this.settings.brokerPort, this.settings.nodeId), this.settings.startupTimeoutMs, this.logFile);
  }

  kill(): Promise<void> {
    return this.terminate('SIGKILL', 0);
  }

  freeze(): void {
    this.process?.signal('SIGSTOP');
  }

  protected stopProcess(): Promise<void> {
    return this.terminate('SIGTERM', this.settings.stopTimeoutMs);
  }

  protected killNowSync(): void {
    if (this.process !== undefined && !this.process.hasExited) sendSignal(this.process.pid, 'SIGKILL');
    this.settings.classDataArchive?.discardRecordingSync();
  }

  private async terminate(signal: NodeJS.Signals, timeoutMs: number): Promise<void> {
    if (this.process === undefined) return;
    const status = await this.process.stop(signal, timeoutMs);
    await this.settings.classDataArchive?.brokerExited(status);
  }
}
