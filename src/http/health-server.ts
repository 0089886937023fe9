import { createServer, type Server } from 'node:http';
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

/**
 * `/livez`, `/readyz` (200 or 503 with the reason as text) and `/metrics` (Prometheus text format).
 * Resolves once listening.
 */
export async function startHealthServer(port: number, checks: HealthChecks, registry: Registry): Promise<Server> {
  const server = createServer((request, response) => {
    const reply = (status: number, contentType: string, body: string): void => {
      response.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' }).end(body);
    };
    const probe = (result: ProbeResult): void => reply(result.ok ? 200 : 503, 'text/plain; charset=utf-8', `${result.reason}\n`);
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (request.method !== 'GET') return reply(405, 'text/plain; charset=utf-8', 'method not allowed\n');
    switch (path) {
      case '/livez':
        return probe(checks.live());
      case '/readyz':
        return void checks.ready().then(probe, (error: unknown) => probe({ ok: false, reason: String(error) }));
      case '/metrics':
        return void registry.metrics().then(
          (text) => reply(200, registry.contentType, text),
          (error: unknown) => reply(500, 'text/plain; charset=utf-8', `${String(error)}\n`),
        );
      default:
        return reply(404, 'text/plain; charset=utf-8', 'not found\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => resolve());
  });
  return server;
}

/** Stops accepting connections and resolves once open ones are done. */
export function closeHealthServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
