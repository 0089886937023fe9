import { appendFile, chown, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { findFreePort, LOOPBACK_HOST } from '../system/free-port.js';
import { describeError } from '../system/log-tail.js';
import { resolveUnprivilegedUser, type OsUser } from './os-user.js';
import { findOrInstallPostgresBinaries, type PostgresBinaries } from './postgres-binaries.js';
import { ensureDatabase, ensureLoginRole, isPostgresReady } from './postgres-client.js';
import { renderPostgresSettings } from './postgres-config.js';
import { sendSignal } from '../system/process-liveness.js';
import { isLiveProcess, listChildPids } from './process-tree.js';
import { runCommand } from '../system/run-command.js';
import { ServiceProcess } from './service-process.js';
import { LocalService } from './local-service.js';
import { TLS_SERVER_NAME, type TestCertificates } from './test-certificates.js';

/** A PostgreSQL role that may log in. */
export interface PostgresRole {
  readonly name: string;
  readonly password: string;
}

/** `ssl = on`, as managed PostgreSQL services run, with a role that may log in only over TLS. */
export interface PostgresTlsOptions {
  /** Its server certificate and key (issued for TLS_SERVER_NAME). */
  readonly certificates: TestCertificates;
  /** pg_hba.conf lets it in with its password over TLS and refuses it without. */
  readonly tlsOnlyRole: PostgresRole;
}

export interface PostgresServerOptions {
  /** The application database created on first start. Default "todo_history". */
  readonly database?: string;
  /** Default true: durability as in production, which benchmarks rely on. */
  readonly fsync?: boolean;
  /** Extra or overriding postgresql.conf settings. */
  readonly settings?: Readonly<Record<string, string>>;
  /**
   * CIDRs, besides loopback, allowed to log in with a password (pg_hba.conf); e.g. a test cluster's pods.
   * Only useful with a `listen_addresses` setting that they can reach.
   */
  readonly passwordClients?: readonly string[];
  /** Default 60 s. */
  readonly startupTimeoutMs?: number;
  /** How long stop() waits for the fast shutdown before SIGKILL. Default 60 s. */
  readonly stopTimeoutMs?: number;
  /** The postgres executable to run instead of the installation's, e.g. a copy in a relocated tree. */
  readonly serverProgram?: string;
  /** Serve TLS too (plaintext connections keep working for every other role). */
  readonly tls?: PostgresTlsOptions;
}

export interface PostgresServerHandle {
  /** postgres://postgres:postgres@127.0.0.1:PORT/<database> */
  readonly url: string;
  /** The same server's "postgres" maintenance database. */
  readonly adminUrl: string;
  /** postgres://<tls-only role>:<password>@localhost:PORT/<database>; undefined without TLS. */
  readonly tlsUrl: string | undefined;
  readonly port: number;
  readonly database: string;
  /** Holds the data directory, the unix socket and the log; removed by destroy(). */
  readonly workDir: string;
  readonly dataDir: string;
  readonly logFile: string;
  readonly isRunning: boolean;
  /** Starts the server again on the same port and data after stop() or kill(). */
  start(): Promise<void>;
  /** `pg_ctl stop -m fast`: disconnects clients, checkpoints, exits. Data is kept. */
  stop(): Promise<void>;
  /** SIGKILL of the postmaster and all its children, as in a crash; the next start() runs crash recovery. */
  kill(): Promise<void>;
  /** Stops the server and deletes its files. */
  destroy(): Promise<void>;
}

export const SUPERUSER = 'postgres';
export const SUPERUSER_PASSWORD = 'postgres';
const DEFAULT_DATABASE = 'todo_history';
const DEFAULT_STARTUP_TIMEOUT_MS = 60_000;
const DEFAULT_STOP_TIMEOUT_MS = 60_000;
const INITDB_TIMEOUT_MS = 120_000;
const KILL_TIMEOUT_MS = 10_000;

/** Creates a fresh PostgreSQL cluster in a temporary directory and starts it on a free loopback port. */
export async function startPostgresServer(options: PostgresServerOptions = {}): Promise<PostgresServerHandle> {
  const [binaries, runAs, port] = await Promise.all([findOrInstallPostgresBinaries(), resolveUnprivilegedUser(), findFreePort()]);
  const workDir = await mkdtemp(join(tmpdir(), 'todo-history-postgres-'));
  const server = new LocalPostgresServer({
    binaries: options.serverProgram === undefined ? binaries : { ...binaries, postgres: options.serverProgram },
    runAs,
    workDir,
    port,
    database: options.database ?? DEFAULT_DATABASE,
    startupTimeoutMs: options.startupTimeoutMs ?? DEFAULT_STARTUP_TIMEOUT_MS,
    stopTimeoutMs: options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS,
    tls: options.tls,
  });
  try {
    await server.initialize(options.fsync ?? true, options.settings ?? {}, options.passwordClients ?? []);
    await server.start();
    await ensureDatabase(server.adminUrl, server.database);
    if (options.tls !== undefined) await ensureLoginRole(server.adminUrl, options.tls.tlsOnlyRole);
    return server;
  } catch (error) {
    await server.destroy().catch(() => undefined);
    throw error;
  }
}

interface LocalPostgresServerSettings {
  readonly binaries: PostgresBinaries;
  /** undefined: run as the current (non-root) user. */
  readonly runAs: OsUser | undefined;
  readonly workDir: string;
  readonly port: number;
  readonly database: string;
  readonly startupTimeoutMs: number;
  readonly stopTimeoutMs: number;
  readonly tls: PostgresTlsOptions | undefined;
}

class LocalPostgresServer extends LocalService implements PostgresServerHandle {
  readonly url: string;
  readonly adminUrl: string;
  readonly tlsUrl: string | undefined;
  readonly dataDir: string;
  readonly logFile: string;
  private readonly socketDir: string;

  constructor(private readonly settings: LocalPostgresServerSettings) {
    super(settings.workDir);
    const origin = `postgres://${SUPERUSER}:${SUPERUSER_PASSWORD}@${LOOPBACK_HOST}:${settings.port}`;
    this.url = `${origin}/${encodeURIComponent(settings.database)}`;
    this.adminUrl = `${origin}/postgres`;
    const role = settings.tls?.tlsOnlyRole;
    this.tlsUrl =
      role === undefined
        ? undefined
        : `postgres://${encodeURIComponent(role.name)}:${encodeURIComponent(role.password)}@${TLS_SERVER_NAME}:${settings.port}/${encodeURIComponent(settings.database)}`;
    this.dataDir = join(settings.workDir, 'data');
    this.socketDir = join(settings.workDir, 'socket');
    this.logFile = join(settings.workDir, 'postgres.log');
  }

  get port(): number {
    return this.settings.port;
  }
  get database(): string {
    return this.settings.database;
  }

  /** initdb with a password-protected superuser, then our settings appended to postgresql.conf. */
  async initialize(fsync: boolean, overrides: Readonly<Record<string, string>>, passwordClients: readonly string[]): Promise<void> {
    await mkdir(this.socketDir);
    const passwordFile = join(this.settings.workDir, 'superuser-password');
    await writeFile(passwordFile, `${SUPERUSER_PASSWORD}\n`, { mode: 0o600 });
    await this.giveToServerUser(this.settings.workDir, this.socketDir, passwordFile);
    try {
      await runCommand(
        this.settings.binaries.initdb,
        [
          '--pgdata', this.dataDir,
          '--username', SUPERUSER,
          '--pwfile', passwordFile,
          '--auth-local', 'trust',
          '--auth-host', 'scram-sha-256',
          '--encoding', 'UTF8',
          '--no-locale',
          // The cluster is temporary; syncing initdb's files would only slow every test run down.
          '--no-sync',
        ],
        { ...this.runAsOptions(), cwd: this.settings.workDir, timeoutMs: INITDB_TIMEOUT_MS },
      );
    } catch (error) {
      throw new Error(`initdb into ${this.dataDir} failed: ${describeError(error)}`);
    } finally {
      await rm(passwordFile, { force: true });
    }
    const tlsSettings = this.settings.tls === undefined ? {} : await this.installServerCertificate(this.settings.tls.certificates);
    await appendFile(
      join(this.dataDir, 'postgresql.conf'),
      renderPostgresSettings({ port: this.settings.port, socketDir: this.socketDir, fsync, overrides: { ...tlsSettings, ...overrides } }),
    );
    if (this.settings.tls !== undefined) await this.restrictToTls(this.settings.tls.tlsOnlyRole);
    if (passwordClients.length > 0) {
      await appendFile(join(this.dataDir, 'pg_hba.conf'), passwordClients.map((cidr) => `host all all ${cidr} scram-sha-256\n`).join(''));
    }
  }

  /** Copies the certificate and key into the data directory (PostgreSQL wants the key private to its user); returns the settings that use them. */
  private async installServerCertificate(certificates: TestCertificates): Promise<Record<string, string>> {
    const certificateFile = join(this.dataDir, 'server.crt');
    const keyFile = join(this.dataDir, 'server.key');
    await copyFile(certificates.serverCertificateFile, certificateFile);
    await writeFile(keyFile, await readFile(certificates.serverKeyFile), { mode: 0o600 });
    await this.giveToServerUser(certificateFile, keyFile);
    return { ssl: 'on', ssl_cert_file: certificateFile, ssl_key_file: keyFile };
  }

  /** pg_hba.conf takes the first matching line: these go before initdb's, which let every role in over plaintext. */
  private async restrictToTls(role: PostgresRole): Promise<void> {
    const hbaFile = join(this.dataDir, 'pg_hba.conf');
    const name = `"${role.name.replaceAll('"', '""')}"`;
    const rules = `hostssl all ${name} all scram-sha-256\nhostnossl all ${name} all reject\n`;
    await writeFile(hbaFile, rules + (await readFile(hbaFile, 'utf8')));
  }

  async start(): Promise<void> {
    if (this.isRunning) throw new Error(`PostgreSQL on port ${this.settings.port} is already running`);
    const service = await ServiceProcess.spawn({
      name: `PostgreSQL on ${LOOPBACK_HOST}:${this.settings.port}`,
      command: this.settings.binaries.postgres,
      args: ['-D', this.dataDir],
      cwd: this.settings.workDir,
      logFile: this.logFile,
      ...this.runAsOptions(),
      // SIGQUIT is PostgreSQL's immediate shutdown: the postmaster takes its backends down with it.
      orphanSignal: 'SIGQUIT',
      workDir: this.settings.workDir,
    });
    await this.awaitReady(service, () => isPostgresReady(this.adminUrl), this.settings.startupTimeoutMs, this.logFile);
  }

  async kill(): Promise<void> {
    const service = this.process;
    if (service === undefined || service.hasExited) return;
    const pids = this.killProcessTree();
    await service.waitForExit(KILL_TIMEOUT_MS);
    const deadline = Date.now() + KILL_TIMEOUT_MS;
    while (pids.some(isLiveProcess)) {
      if (Date.now() > deadline) throw new Error(`PostgreSQL processes ${pids.filter(isLiveProcess).join(', ')} survived SIGKILL`);
      await sleep(50);
    }
  }

  protected killNowSync(): void {
    this.killProcessTree();
  }

  /** `pg_ctl stop -m fast`, then signals if that fails. */
  protected async stopProcess(): Promise<void> {
    const service = this.process;
    if (service === undefined || service.hasExited) return;
    const timeoutSeconds = String(Math.ceil(this.settings.stopTimeoutMs / 1000));
    try {
      await runCommand(this.settings.binaries.pgCtl, ['stop', '--pgdata', this.dataDir, '--mode', 'fast', '--wait', '--timeout', timeoutSeconds], {
        ...this.runAsOptions(),
        timeoutMs: this.settings.stopTimeoutMs + 5_000,
      });
    } catch (error) {
      if (service.hasExited) return;
      process.stderr.write(`pg_ctl stop failed, signalling PostgreSQL directly: ${describeError(error)}\n`);
      // SIGINT is what pg_ctl's fast mode sends.
      service.signal('SIGINT');
    }
    if (!(await service.waitForExit(this.settings.stopTimeoutMs))) await this.kill();
  }

  /** SIGKILLs the postmaster and its children (they are in their own process groups); returns their pids. Synchronous. */
  private killProcessTree(): number[] {
    const service = this.process;
    if (service === undefined || service.hasExited) return [];
    // Collected first: once the postmaster is gone its children are re-parented and cannot be found this way.
    const pids = [service.pid, ...listChildPids(service.pid)];
    for (const pid of pids) sendSignal(pid, 'SIGKILL');
    return pids;
  }

  private runAsOptions(): { uid?: number; gid?: number } {
    const user = this.settings.runAs;
    return user === undefined ? {} : { uid: user.uid, gid: user.gid };
  }

  private async giveToServerUser(...paths: string[]): Promise<void> {
    const user = this.settings.runAs;
    if (user === undefined) return;
    for (const path of paths) await chown(path, user.uid, user.gid);
  }
}
