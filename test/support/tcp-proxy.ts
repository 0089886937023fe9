import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { findFreePort, LOOPBACK_HOST } from '../../deploy/local/system/free-port.js';

/**
 * A loopback TCP proxy to a target port that can fail the way networks do, on the same port: `cut`
 * (connections reset, then refused) or `stall` (connections accepted, never answered: a hung server or
 * dropped packets), then `restore`. The server behind it is untouched.
 */
export class TcpProxy {
  private server: Server | undefined;
  private stalled = false;
  private readonly sockets = new Set<Socket>();

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
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
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
