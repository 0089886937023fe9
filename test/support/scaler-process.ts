import { startCli, type CliProcess } from '../../deploy/local/cli-process.js';
import { getProbe, metricValue } from './probes.js';
import { findFreePort } from '../../deploy/local/system/free-port.js';

/** Fast timings for tests: a 3 s lease, renewed every 0.5 s, a reconcile every second. */
export const testTimings = {
  SCALER_INTERVAL_MS: '1000',
  SCALER_LEASE_DURATION_MS: '3000',
  SCALER_RENEW_DEADLINE_MS: '2000',
  SCALER_RETRY_PERIOD_MS: '500',
  RETRY_INITIAL_DELAY_MS: '500',
  RETRY_MAX_DELAY_MS: '4000',
} as const;

export const leaseDurationMs = Number(testTimings.SCALER_LEASE_DURATION_MS);

/** A running `todo-history scaler` with its probe port. */
export interface ScalerProcess extends CliProcess {
  identity: string;
  port: number;
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  /** Log lines with this message. */
  logged(message: string): Record<string, unknown>[];
  /** SIGTERM (or another signal) and the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function startScaler(identity: string, env: Record<string, string>): Promise<ScalerProcess> {
  const port = await findFreePort();
  const cli = startCli(['scaler'], { ...testTimings, SCALER_IDENTITY: identity, HTTP_PORT: String(port), LOG_LEVEL: 'debug', ...env });
  return {
    ...cli,
    identity,
    port,
    metric: async (name, labels) => metricValue((await getProbe(port, '/metrics')).body, name, labels),
    logged: (message) => cli.logLines().filter((line) => line.msg === message),
    stop: async (signal = 'SIGTERM') => {
      if (cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill(signal);
      return cli.exited;
    },
  };
}
