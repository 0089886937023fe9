/** A half-open time range, `since` ≤ t < `until`; a missing bound is unbounded. */
export interface TimeRange {
  since?: Date;
  until?: Date;
}

/** A summary's bucket width: its buckets start at multiples of `ms` from the epoch (UTC days, hours). */
export interface SummaryLevel<Name extends string> {
  name: Name;
  ms: number;
}

/** One part of a window: whole buckets of a summary level, or `rows` (the table itself). */
export interface SummaryPiece<Name extends string> {
  source: Name | 'rows';
  range: TimeRange;
}

function floorTo(time: Date, ms: number): Date {
  return new Date(Math.floor(time.getTime() / ms) * ms);
}

function ceilTo(time: Date, ms: number): Date {
  return new Date(Math.ceil(time.getTime() / ms) * ms);
}

function isEmpty({ since, until }: TimeRange): boolean {
  return since !== undefined && until !== undefined && since.getTime() >= until.getTime();
}

/**
 * Splits `since` ≤ t < `until` into pieces that together cover it exactly once, oldest first: the whole
 * buckets of the coarsest level (`levels` run coarse to fine) inside it, the partial buckets at its edges
 * from the next level, and so on; what no level covers whole is read from the rows, so the rows read are
 * less than two buckets of the finest level. Without levels the whole window is one piece of rows.
 */
export function planSummaryWindow<Name extends string>(window: TimeRange, levels: readonly SummaryLevel<Name>[]): SummaryPiece<Name>[] {
  if (isEmpty(window)) return [];
  const [level, ...finer] = levels;
  if (level === undefined) return [{ source: 'rows', range: window }];
  const { since, until } = window;
  const from = since === undefined ? undefined : ceilTo(since, level.ms);
  const to = until === undefined ? undefined : floorTo(until, level.ms);
  if (from !== undefined && to !== undefined && from.getTime() >= to.getTime()) return planSummaryWindow(window, finer);
  return [
    ...(since === undefined || from === undefined ? [] : planSummaryWindow({ since, until: from }, finer)),
    { source: level.name, range: { since: from, until: to } },
    ...(until === undefined || to === undefined ? [] : planSummaryWindow({ since: to, until }, finer)),
  ];
}
