import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';

/** The verdict of a probe, with the reason when it fails. */
export interface ProbeResult {
  ok: boolean;
  reason: string;
}

/** The checks behind the probes. */
export interface HealthChecks {
  live(): ProbeResult;
  ready(): Promise<ProbeResult>;
}

/** The probe port cannot be listened on: taken by another process, or not ours to take. */
export class HttpPortError extends Error {
  readonly code = 'http_port_unavailable';
  readonly retryable = false;

  constructor(
    readonly port: number,
    readonly setting: string,
    reason: string,
  ) {
    super(`cannot serve the probes on port ${port} (${setting}): ${reason}; choose another ${setting}`);
    this.name = 'HttpPortError';
  }
}

const plainText = 'text/plain; charset=utf-8';

function reply(response: ServerResponse, status: number, contentType: string, body: string): void {
  response.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' }).end(body);
}

/** The request's path, or undefined when its target is not a URL path at all (e.g. `//[`). */
function pathOf(request: IncomingMessage): string | undefined {
  const target = request.url ?? '';
  if (!target.startsWith('/')) return undefined;
  return URL.canParse(target, 'http://localhost') ? new URL(target, 'http://localhost').pathname : undefined;
}

function route(request: IncomingMessage, response: ServerResponse, checks: HealthChecks, registry: Registry): void {
  const probe = (result: ProbeResult): void => reply(response, result.ok ? 200 : 503, plainText, `${result.reason}\n`);
  const path = pathOf(request);
  if (path === undefined) return reply(response, 400, plainText, 'bad request target\n');
  if (request.method !== 'GET') return reply(response, 405, plainText, 'method not allowed\n');
  switch (path) {
    case '/livez':
      return probe(checks.live());
    case '/readyz':
      return void checks.ready().then(probe, (error: unknown) => probe({ ok: false, reason: String(error) }));
    case '/metrics':
      return void registry.metrics().then(
        (text) => reply(response, 200, registry.contentType, text),
        (error: unknown) => reply(response, 500, plainText, `${String(error)}\n`),
      );
    default:
      return reply(response, 404, plainText, 'not found\n');
  }
}

/**
 * `/livez`, `/readyz` (200 or 503 with the reason as text) and `/metrics` (Prometheus text format).
 * No request can end the process: a target that is not a path gets 400, an unknown path 404, another
 * method 405, and a request Node cannot even parse 400. Resolves once listening.
 * @throws HttpPortError naming `portSetting` when the port is taken or not allowed.
 */
export async function startHealthServer(port: number, portSetting: string, checks: HealthChecks, registry: Registry): Promise<Server> {
  const server = createServer((request, response) => {
    try {
      route(request, response, checks, registry);
    } catch (error) {
      if (!response.headersSent) reply(response, 500, plainText, `${String(error)}\n`);
    }
  });
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const reason = error.code === 'EADDRINUSE' ? 'the port is in use' : error.code === 'EACCES' ? 'permission denied' : error.message;
      reject(new HttpPortError(port, portSetting, reason));
    });
    server.listen(port, () => resolve());
  });
  return server;
}

/** Stops accepting connections and resolves once open ones are done. */
export function closeHealthServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
