import fs from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { findFreePort, LOOPBACK_HOST } from '../system/free-port.js';
import { waitFor } from '../system/wait-for.js';
import { ensureGoTool } from '../tools/go-tools.js';
import { ManagedProcess } from '../tools/managed-process.js';

/** A scrape target with the labels Prometheus Operator would give it (job, namespace, pod). */
export interface ScrapeTarget {
  address: string;
  labels: Readonly<Record<string, string>>;
}

/** One series of a range query: its labels and its [seconds, value] points. */
export interface RangeSeries {
  metric: Record<string, string>;
  values: [number, string][];
}

/** A Prometheus of our own on loopback, scraping `targets` every `scrapeSeconds`, its data in `dir`. */
export class PrometheusServer {
  private constructor(
    private readonly process: ManagedProcess,
    readonly url: string,
  ) {}

  static async start(dir: string, targets: readonly ScrapeTarget[], scrapeSeconds: number): Promise<PrometheusServer> {
    const config = {
      global: { scrape_interval: `${scrapeSeconds}s`, evaluation_interval: `${scrapeSeconds}s` },
      scrape_configs: targets.map((target) => ({ job_name: target.labels.job ?? target.address, static_configs: [{ targets: [target.address], labels: target.labels }] })),
    };
    await fs.writeFile(path.join(dir, 'prometheus.yml'), stringify(config));
    const port = await findFreePort();
    const process = new ManagedProcess('prometheus', await ensureGoTool('prometheus'), [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=${LOOPBACK_HOST}:${port}`,
    ], path.join(dir, 'prometheus.log'));
    const server = new PrometheusServer(process, `http://${LOOPBACK_HOST}:${port}`);
    await waitFor('Prometheus to be ready', () => fetch(`${server.url}/-/ready`, { signal: AbortSignal.timeout(1_000) }).then((r) => r.ok, () => false), (ready) => ready || process.hasExited, { timeoutMs: 60_000 });
    if (process.hasExited) throw new Error(process.describe());
    return server;
  }

  async queryRange(expr: string, from: number, to: number, stepSeconds: number): Promise<RangeSeries[]> {
    const query = new URLSearchParams({ query: expr, start: String(from), end: String(to), step: String(stepSeconds) });
    const response = await fetch(`${this.url}/api/v1/query_range?${query.toString()}`, { signal: AbortSignal.timeout(10_000) });
    const body = (await response.json()) as { status: string; error?: string; data?: { result: RangeSeries[] } };
    if (body.status !== 'success') throw new Error(`Prometheus refused ${expr}: ${body.error ?? response.statusText}`);
    return body.data?.result ?? [];
  }

  async stop(): Promise<void> {
    await this.process.stop();
  }
}
