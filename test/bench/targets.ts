/** The figures the targets are judged on, as `npm run bench` gathers them; any may be missing when its phase did not run. */
export interface TargetFigures {
  /** 3 replicas' events/s divided by the COPY ceiling's rows/s. */
  threeReplicasToCeiling: number | undefined;
  /** CPU seconds per 1,000,000 events of 1 replica and of the fetch-and-parse floor. */
  cpuPerMillion: { consumer: number; floor: number } | undefined;
  /** p99 produce-to-row latency in ms, by the rate asked for. */
  latencyP99Ms: Record<string, number>;
  /** The highest peak RSS of one replica in the throughput and long runs, in MB. */
  peakRssMb: number | undefined;
  /** Each long run's events/s per step, in order, by the database it ran on. */
  longRunSteps: Readonly<Record<string, readonly number[]>>;
  /**
   * p95 in ms of each read query (or query and window) on the largest table measured, with its row count
   * and, where the figures are from more than one, the database they were measured on.
   */
  readQueriesP95Ms: { rows: number; on?: string; byQuery: Record<string, number> } | undefined;
  /** Rollout p99 and max in ms, by scenario. */
  rollout: Record<string, { p99: number; max: number }>;
}

/** One target: what was measured, what was asked, and whether it was met. */
export interface TargetLine {
  name: string;
  figure: string;
  target: string;
  met: boolean;
}

const ms = (value: number): string => `${value.toFixed(0)} ms`;

/**
 * The issues' targets against the figures: one line each, for the summary's end. A target whose phase
 * did not run is left out, not counted as met.
 */
export function judgeTargets(figures: TargetFigures): TargetLine[] {
  const lines: TargetLine[] = [];
  if (figures.threeReplicasToCeiling !== undefined) {
    lines.push({ name: '3 replicas / COPY ceiling', figure: figures.threeReplicasToCeiling.toFixed(2), target: '≥ 1.00', met: figures.threeReplicasToCeiling >= 1 });
  }
  if (figures.cpuPerMillion !== undefined) {
    const { consumer, floor } = figures.cpuPerMillion;
    const ratio = consumer / floor;
    lines.push({ name: 'CPU per event, 1 replica / fetch-and-parse floor', figure: `${ratio.toFixed(2)} (${consumer.toFixed(1)} / ${floor.toFixed(1)} s per 1M)`, target: '≤ 1.50', met: ratio <= 1.5 });
  }
  for (const [rate, limit] of [['2000', 50], ['10000', 250]] as const) {
    const p99 = figures.latencyP99Ms[rate];
    if (p99 !== undefined) lines.push({ name: `latency p99 at ${rate}/s`, figure: ms(p99), target: `≤ ${limit} ms`, met: p99 <= limit });
  }
  if (figures.peakRssMb !== undefined) lines.push({ name: 'peak RSS of one replica', figure: `${figures.peakRssMb.toFixed(0)} MB`, target: '≤ 128 MB', met: figures.peakRssMb <= 128 });
  for (const [database, steps] of Object.entries(figures.longRunSteps)) {
    const [firstStep] = steps;
    const lastStep = steps[steps.length - 1];
    if (firstStep === undefined || lastStep === undefined || steps.length < 2) continue;
    const ratio = lastStep / firstStep;
    lines.push({ name: `long run on ${database}, last step / first step`, figure: ratio.toFixed(2), target: '≥ 0.85', met: ratio >= 0.85 });
  }
  if (figures.readQueriesP95Ms !== undefined) {
    for (const [query, p95] of Object.entries(figures.readQueriesP95Ms.byQuery)) {
      const on = figures.readQueriesP95Ms.on === undefined ? '' : `, ${figures.readQueriesP95Ms.on}`;
      lines.push({ name: `${query} p95 on ${figures.readQueriesP95Ms.rows} rows${on}`, figure: `${p95.toFixed(1)} ms`, target: '≤ 50 ms', met: p95 <= 50 });
    }
  }
  for (const [scenario, { p99, max }] of Object.entries(figures.rollout)) {
    lines.push({ name: `${scenario}, p99 / max`, figure: `${ms(p99)} / ${ms(max)}`, target: '≤ 500 ms / ≤ 1000 ms', met: p99 <= 500 && max <= 1000 });
  }
  return lines;
}
