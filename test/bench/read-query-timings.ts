import type { Kysely } from 'kysely';
import type { Database } from '../../src/db/database.js';
import { getGroupLogs, getGroupsSummary, getGroupTasksSummary, getTaskLogs } from '../../src/db/read-queries.js';
import { benchGroupCount, benchTasksPerGroup } from './bench-events.js';
import { percentile } from './percentile.js';

export interface QueryTiming {
  p50Ms: number;
  p95Ms: number;
  samples: number;
}

/** A small deterministic PRNG (the same arguments on every run and table size). */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 4_294_967_296;
  };
}

async function timeQuery(samples: number, budgetMs: number, run: (index: number) => Promise<unknown>): Promise<QueryTiming> {
  const durations: number[] = [];
  const deadline = performance.now() + budgetMs;
  for (let index = 0; index < samples && (index === 0 || performance.now() < deadline); index += 1) {
    const started = performance.now();
    await run(index);
    durations.push(performance.now() - started);
  }
  return { p50Ms: percentile(durations, 0.5), p95Ms: percentile(durations, 0.95), samples: durations.length };
}

/** Which windows the calls ask for: none, the last day before the newest row, or each in turn. */
export type ReadWindows = 'alternate' | 'none' | 'last day';

/**
 * The four read queries, each called `samples` times (fewer when one query's calls pass `budgetMs`,
 * at least once) with arguments drawn from the benchmark's own groups and tasks: the default limit of
 * 100, and (`alternate`, the default) for every other call a window of the last day of events before the
 * newest row, which starts and ends inside an hour.
 */
export async function timeReadQueries(db: Kysely<Database>, samples: number, budgetMs: number, windows: ReadWindows = 'alternate'): Promise<Record<string, QueryTiming>> {
  const newest = await db.selectFrom('todo_event_logs').select((eb) => eb.fn.max('timestamp').as('newest')).executeTakeFirst();
  const until = new Date(new Date(newest?.newest ?? Date.now()).getTime() + 1);
  const lastDay = { since: new Date(until.getTime() - 86_400_000), until };
  const options = (index: number) => (windows === 'none' || (windows === 'alternate' && index % 2 === 0) ? {} : lastDay);
  const next = lcg(16);
  const group = () => `group-${Math.floor(next() * benchGroupCount)}`;
  const task = () => `task-${Math.floor(next() * benchGroupCount * benchTasksPerGroup)}`;
  return {
    getGroupLogs: await timeQuery(samples, budgetMs, (index) => getGroupLogs(db, group(), options(index))),
    getTaskLogs: await timeQuery(samples, budgetMs, (index) => getTaskLogs(db, task(), options(index))),
    getGroupsSummary: await timeQuery(samples, budgetMs, (index) => getGroupsSummary(db, options(index))),
    getGroupTasksSummary: await timeQuery(samples, budgetMs, (index) => getGroupTasksSummary(db, group(), options(index))),
  };
}
