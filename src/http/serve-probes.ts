import type { Server } from 'node:http';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { httpPortSchema } from '../config/config-schema.js';
import { HttpPortError, startHealthServer, type HealthChecks } from './health-server.js';

/**
 * The probe server on `HTTP_PORT` (the consumer's and the scaler's setting), or undefined after logging
 * one line that names the setting to change: a busy port is an expected condition, not a crash.
 */
export async function serveProbes(port: number, checks: HealthChecks, registry: Registry, logger: Logger): Promise<Server | undefined> {
  try {
    return await startHealthServer(port, String(httpPortSchema.env), checks, registry);
  } catch (error) {
    if (!(error instanceof HttpPortError)) throw error;
    logger.fatal({ code: error.code, port, setting: error.setting }, error.message);
    return undefined;
  }
}
