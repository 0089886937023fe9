/** One version of a pod as a watch delivered it, reduced to what readiness needs. */
export interface PodObservation {
  readonly pod: string;
  /** When the watch delivered this version (the test's clock, ms). */
  readonly at: number;
  readonly ready: boolean;
  /** deletionTimestamp is set: the kubelet has been told to stop it (SIGTERM follows at once; the chart has no preStop). */
  readonly terminating: boolean;
  readonly deleted: boolean;
}

/** A pod's count of rows inserted (todo_history_rows_inserted_total) at a moment. */
export interface RowsSample {
  readonly pod: string;
  readonly at: number;
  readonly rows: number;
}

/** Whether a pod inserted rows within a stretch of time, by its own metrics. */
export type StoringVerdict = 'storing' | 'idle' | 'unknown';

/** A pod whose Ready condition went from True to False. */
export interface UnreadyTransition {
  readonly pod: string;
  readonly at: number;
  /** The version that first showed it unready was terminating or its deletion: its stop, not a failed probe of a live pod. */
  readonly terminating: boolean;
  /** For a live pod: whether it was storing rows just before (see storingWithin). */
  readonly storing?: StoringVerdict;
}

/**
 * "storing" when the pod's counter rose within [from, to] (from the last sample before `from`, or from the
 * 0 it starts at); "idle" when samples there show it flat; "unknown" when there is no sample in it.
 */
export function storingWithin(samples: readonly RowsSample[], pod: string, from: number, to: number): StoringVerdict {
  const own = samples.filter((sample) => sample.pod === pod && sample.at <= to);
  const inside = own.filter((sample) => sample.at >= from);
  if (inside.length === 0) return 'unknown';
  let previous = own.filter((sample) => sample.at < from).at(-1)?.rows ?? 0;
  for (const sample of inside) {
    if (sample.rows > previous) return 'storing';
    previous = sample.rows;
  }
  return 'idle';
}

/**
 * Every True → False of a pod's Ready condition, in the order seen, each live one judged by the pod's
 * rows within `storingWindowMs` before it. Pods that start unready and become Ready are no transition.
 */
export function unreadyTransitions(observations: readonly PodObservation[], samples: readonly RowsSample[], storingWindowMs: number): UnreadyTransition[] {
  const wasReady = new Map<string, boolean>();
  const transitions: UnreadyTransition[] = [];
  for (const seen of observations) {
    if (wasReady.get(seen.pod) === true && !seen.ready) {
      const terminating = seen.terminating || seen.deleted;
      transitions.push(terminating ? { pod: seen.pod, at: seen.at, terminating } : { pod: seen.pod, at: seen.at, terminating, storing: storingWithin(samples, seen.pod, seen.at - storingWindowMs, seen.at) });
    }
    wasReady.set(seen.pod, seen.ready);
  }
  return transitions;
}

/** The transitions that fail the test: a live pod that was storing, or could not be read, turned unready. */
export function storingPodsTurnedUnready(transitions: readonly UnreadyTransition[]): UnreadyTransition[] {
  return transitions.filter((transition) => !transition.terminating && transition.storing !== 'idle');
}
