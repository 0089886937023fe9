import type { AppConfig } from './config-schema.js';

const redacted = '[redacted]';

function withoutPassword(url: string): string {
  const parsed = new URL(url);
  if (parsed.password !== '') parsed.password = redacted;
  return parsed.toString();
}

/** The effective configuration as it may be logged: no password, in any key, ever. */
export function redactConfig(config: AppConfig): AppConfig {
  return {
    ...config,
    kafka: { ...config.kafka, sasl: { ...config.kafka.sasl, password: config.kafka.sasl.password === '' ? '' : redacted } },
    database: {
      ...config.database,
      url: withoutPassword(config.database.url),
      password: config.database.password === '' ? '' : redacted,
    },
  };
}
