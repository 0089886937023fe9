import { readFile } from 'node:fs/promises';
import { createServer, Socket, type Server } from 'node:net';

export const LOOPBACK_HOST = '127.0.0.1';

// Ports are drawn from below the kernel's ephemeral range: a port the kernel may hand to outgoing
// connections can, while our server is stopped in a fault test, become a client's source port (or a
// client connecting to it can connect to itself), and then the server cannot get its port back.
const LOWEST_PORT = 15_000;
const MIN_RANGE_SIZE = 1_000;
const ATTEMPTS_PER_PORT = 50;

/** `count` distinct TCP ports on the loopback interface that nothing listens on right now. */
export async function findFreePorts(count: number): Promise<number[]> {
  // All listeners stay open until every port is known, so no port is returned twice.
  const servers: Server[] = [];
  try {
    const range = await portRangeOutsideEphemeral();
    const ports: number[] = [];
    while (ports.length < count) {
      const server = createServer();
      servers.push(server);
      ports.push(range === undefined ? await listen(server, 0) : await listenOnRandomPort(server, range));
    }
    return ports;
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}

export async function findFreePort(): Promise<number> {
  const [port] = await findFreePorts(1);
  if (port === undefined) throw new Error('No free port was found');
  return port;
}

interface PortRange {
  readonly low: number;
  readonly high: number;
}

async function portRangeOutsideEphemeral(): Promise<PortRange | undefined> {
  const ephemeral = await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').catch(() => '');
  const ephemeralLow = Number.parseInt(ephemeral.trim().split(/\s+/)[0] ?? '', 10);
  if (!Number.isInteger(ephemeralLow) || ephemeralLow - 1 - LOWEST_PORT < MIN_RANGE_SIZE) return undefined;
  return { low: LOWEST_PORT, high: ephemeralLow - 1 };
}

async function listenOnRandomPort(server: Server, { low, high }: PortRange): Promise<number> {
  for (let attempt = 0; attempt < ATTEMPTS_PER_PORT; attempt++) {
    const candidate = low + Math.floor(Math.random() * (high - low + 1));
    try {
      return await listen(server, candidate);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    }
  }
  // The range is crowded: let the kernel choose.
  return listen(server, 0);
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.unref();
    server.once('error', onError);
    server.listen({ host: LOOPBACK_HOST, port, exclusive: true }, () => {
      server.off('error', onError);
      const address = server.address();
      if (address === null || typeof address === 'string') reject(new Error('Could not determine the port of a listening socket'));
      else resolve(address.port);
    });
  });
}

/** Resolves true when something accepts TCP connections on the loopback port. */
export function isPortAccepting(port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const finish = (accepting: boolean): void => {
      socket.destroy();
      resolve(accepting);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
    socket.connect(port, LOOPBACK_HOST);
  });
}
