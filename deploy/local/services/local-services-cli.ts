#!/usr/bin/env node
// Starts a local Kafka broker and PostgreSQL (unless KAFKA_BROKERS / DATABASE_URL are set),
// with TLS listeners too, prints their addresses as shell assignments and keeps them up until SIGINT or SIGTERM.
import { once } from 'node:events';
import { describeError } from '../system/log-tail.js';
import { startLocalServices, tlsServicesEnv } from './local-services.js';

async function main(): Promise<void> {
  const startedAt = Date.now();
  const services = await startLocalServices({ tls: true });
  const tlsEnv = services.tls === undefined ? {} : tlsServicesEnv(services.tls);
  // One write, so that whoever waits for the first two lines finds the rest there too.
  const lines = Object.entries({ KAFKA_BROKERS: services.kafkaBrokers, DATABASE_URL: services.databaseUrl, ...tlsEnv }).map(([name, value]) => `${name}=${value}\n`);
  process.stdout.write(lines.join(''));
  process.stderr.write(`Local services ready after ${((Date.now() - startedAt) / 1000).toFixed(1)} s; press Ctrl-C to stop them.\n`);
  // Signal listeners do not keep Node running on their own.
  const keepAlive = setInterval(() => undefined, 60_000);
  const signal = await Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]);
  clearInterval(keepAlive);
  process.stderr.write(`Received ${String(signal[0])}, stopping local services...\n`);
  await services.stop();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${describeError(error)}\n`);
    process.exit(1);
  },
);
