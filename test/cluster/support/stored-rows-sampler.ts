import { CoreV1Api } from '@kubernetes/client-node';
import { setTimeout as sleep } from 'node:timers/promises';
import { withTimeout } from '../../../src/async/with-timeout.js';
import { kubeConfig } from './kube-config.js';
import type { RowsSample } from './readiness-verdicts.js';

const SCRAPE_TIMEOUT_MS = 2_000;
const ROWS_INSERTED = /^todo_history_rows_inserted_total (\S+)$/m;

/**
 * Reads each live consumer pod's /metrics every `intervalMs` through the API server's pod proxy (one
 * request per pod, no process in the pod), keeping its rows-inserted counter: the pod's own account of
 * whether it is storing batches.
 */
export class StoredRowsSampler {
  readonly samples: RowsSample[] = [];
  #running = true;
  readonly #loop: Promise<void>;

  private constructor(namespace: string, port: number, pods: () => string[], intervalMs: number, untilMs: number) {
    const core = kubeConfig().makeApiClient(CoreV1Api);
    const scrape = async (pod: string): Promise<void> => {
      try {
        const text = await withTimeout(`metrics of ${pod}`, SCRAPE_TIMEOUT_MS, core.connectGetNamespacedPodProxyWithPath({ name: `${pod}:${port}`, namespace, path: 'metrics' }));
        const rows = Number(ROWS_INSERTED.exec(text)?.[1]);
        if (Number.isFinite(rows)) this.samples.push({ pod, at: Date.now(), rows });
      } catch {
        // A pod not listening yet, or gone: no sample, which storingWithin judges "unknown" where it matters.
      }
    };
    this.#loop = (async () => {
      while (this.#running && Date.now() < untilMs) {
        const tick = Date.now();
        await Promise.all(pods().map(scrape));
        await sleep(Math.max(0, tick + intervalMs - Date.now()));
      }
    })();
  }

  /** Samples until stop(), or until `maxRunMs` has passed at the latest. */
  static start(namespace: string, port: number, pods: () => string[], intervalMs: number, maxRunMs: number): StoredRowsSampler {
    return new StoredRowsSampler(namespace, port, pods, intervalMs, Date.now() + maxRunMs);
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
  }

  /** The highest count read from each pod. */
  mostRows(): Map<string, number> {
    const most = new Map<string, number>();
    for (const sample of this.samples) most.set(sample.pod, Math.max(most.get(sample.pod) ?? 0, sample.rows));
    return most;
  }
}
