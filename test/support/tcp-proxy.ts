import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { findFreePort, LOOPBACK_HOST } from '../../deploy/local/system/free-port.js';

/**
 * A loopback TCP proxy to a target port that can fail the way networks do, on the same port: `cut`
 * (connections reset, then refused) or `stall` (connections accepted, never answered: a hung server or
 * dropped packets), then `restore`; or `hold` what clients send, on open connections too, until
 * `release` delivers it (a client frozen in mid-conversation). The server behind it is untouched.
 */
export class TcpProxy {
  private server: Server | undefined;
  private stalled = false;
  private holding = false;
  private readonly sockets = new Set<Socket>();
  /** Each proxied connection: what the client sends goes upstream unless held. */
  private readonly connections = new Set<{ client: Socket; upstream: Socket }>();

  private constructor(
    readonly port: number,
    private readonly targetPort: number,
  ) {}

  static async start(targetPort: number): Promise<TcpProxy> {
    const proxy = new TcpProxy(await findFreePort(), targetPort);
    await proxy.restore();
    return proxy;
  }

  /** Resets every open connection and stops listening, so new ones are refused. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.resetAll();
    if (server !== undefined) await new Promise((resolve) => server.close(resolve));
  }

  /**
   * Stops for good: closes every open connection (without a reset) and stops listening. For the end of
   * a test, after its clients are gone: resetting sockets that are closing already can leave Node
   * spinning at exit, waiting for handles that never finish closing.
   */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (server !== undefined) await new Promise((resolve) => server.close(resolve));
  }

  /** Resets every open connection; new ones are accepted and then left without an answer. */
  stall(): void {
    this.stalled = true;
    this.resetAll();
  }

  /** Stops delivering what clients send, keeping every connection open; the server's answers still flow. */
  hold(): void {
    this.holding = true;
    for (const { client, upstream } of this.connections) {
      client.unpipe(upstream);
      client.pause();
    }
  }

  /** Bytes clients sent that are held now. */
  heldBytes(): number {
    let bytes = 0;
    for (const { client } of this.connections) bytes += client.readableLength;
    return bytes;
  }

  /** Delivers what was held, and everything after it. */
  release(): void {
    this.holding = false;
    for (const { client, upstream } of this.connections) client.pipe(upstream);
  }

  async restore(): Promise<void> {
    if (this.stalled) {
      this.stalled = false;
      this.resetAll();
    }
    if (this.server !== undefined) return;
    const server = createServer((client) => {
      if (this.stalled) {
        this.track(client);
        client.resume();
        return;
      }
      const upstream = createConnection({ host: LOOPBACK_HOST, port: this.targetPort });
      this.track(client);
      this.track(upstream);
      const connection = { client, upstream };
      this.connections.add(connection);
      upstream.pipe(client);
      if (this.holding) client.pause();
      else client.pipe(upstream);
      client.on('close', () => {
        this.connections.delete(connection);
        upstream.destroy();
      });
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: LOOPBACK_HOST, port: this.port, exclusive: true }, () => resolve());
    });
    this.server = server;
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
  }

  private resetAll(): void {
    for (const socket of this.sockets) socket.resetAndDestroy();
    this.sockets.clear();
  }
}
