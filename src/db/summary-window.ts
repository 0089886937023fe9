/** A half-open time range, `since` ≤ t < `until`; a missing bound is unbounded. */
export interface TimeRange {
  since?: Date;
  until?: Date;
}

/**
 * How a summary over a time window is served: the whole UTC days inside it from the per-day summary,
 * and the partial days at its edges from the rows. `wholeDays` is undefined when the window holds no whole
 * day; `edges` are at most two ranges, each within one day.
 */
export interface SummaryWindowPlan {
  wholeDays: TimeRange | undefined;
  edges: TimeRange[];
}

const dayMs = 86_400_000;

function floorDay(time: Date): Date {
  return new Date(Math.floor(time.getTime() / dayMs) * dayMs);
}

function ceilDay(time: Date): Date {
  return new Date(Math.ceil(time.getTime() / dayMs) * dayMs);
}

/** Splits `since` ≤ t < `until` into whole days and partial-day edges that together cover it exactly once. */
export function planSummaryWindow({ since, until }: TimeRange): SummaryWindowPlan {
  const from = since === undefined ? undefined : ceilDay(since);
  const to = until === undefined ? undefined : floorDay(until);
  if (from !== undefined && to !== undefined && from.getTime() >= to.getTime()) {
    return { wholeDays: undefined, edges: [{ since, until }] };
  }
  const edges: TimeRange[] = [];
  if (since !== undefined && from !== undefined && since.getTime() < from.getTime()) edges.push({ since, until: from });
  if (until !== undefined && to !== undefined && to.getTime() < until.getTime()) edges.push({ since: to, until });
  return { wholeDays: { since: from, until: to }, edges };
}
