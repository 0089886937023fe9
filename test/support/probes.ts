/** An HTTP answer from the consumer's probe server. */
export interface ProbeAnswer {
  status: number;
  body: string;
}

export async function getProbe(port: number, path: '/livez' | '/readyz' | '/metrics'): Promise<ProbeAnswer> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(5_000) });
  return { status: response.status, body: await response.text() };
}

/** The value of one sample in Prometheus text format, or 0 when the series has no sample yet. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-z_]+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (match?.[1] !== name) continue;
    const present = (match[2] ?? '').split(',').filter((l) => l !== '');
    if (wanted.every((label) => present.includes(label)) && present.length === wanted.length) return Number(match[3]);
  }
  return 0;
}
