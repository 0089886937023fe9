import type { TimescaledbMode, TimescaledbPolicyConfig } from './config-schema.js';

const names: Record<keyof TimescaledbPolicyConfig, string> = {
  compressAfterDays: 'timescaledb.compressAfterDays (TIMESCALEDB_COMPRESS_AFTER_DAYS)',
  dropRawAfterDays: 'timescaledb.dropRawAfterDays (TIMESCALEDB_DROP_RAW_AFTER_DAYS)',
  summaryRefreshDays: 'timescaledb.summaryRefreshDays (TIMESCALEDB_SUMMARY_REFRESH_DAYS)',
};

/** Each policy setting that is not 0, named as problems name it: dotted key and environment variable. */
export function requestedPolicySettings(policies: TimescaledbPolicyConfig): string[] {
  return (Object.keys(names) as (keyof TimescaledbPolicyConfig)[]).filter((key) => policies[key] !== 0).map((key) => names[key]);
}

/** The refresh leaves out the newest day (end offset 1 day) and TimescaleDB wants it to cover at least two. */
const minSummaryRefreshDays = 3;

/**
 * The combinations of the policy settings that would lose data or do nothing. Dropped raw days keep their
 * summaries only while the summaries' refresh never reaches back to them: TimescaleDB's drop_chunks marks
 * the dropped range as changed, and a refresh over it would recount those days from no rows.
 */
export function timescaledbPolicyProblems(policies: TimescaledbPolicyConfig, mode: TimescaledbMode): string[] {
  const { compressAfterDays, dropRawAfterDays, summaryRefreshDays } = policies;
  const problems: string[] = [];
  if (summaryRefreshDays > 0 && summaryRefreshDays < minSummaryRefreshDays) {
    problems.push(`${names.summaryRefreshDays}: must be 0 (the whole history) or at least ${minSummaryRefreshDays}: the refresh leaves out the newest day and covers at least two`);
  }
  if (dropRawAfterDays > 0 && dropRawAfterDays <= minSummaryRefreshDays) {
    problems.push(`${names.dropRawAfterDays}: must be 0 (rows kept for ever) or more than ${minSummaryRefreshDays}: the summaries' refresh needs at least ${minSummaryRefreshDays} days of rows`);
  } else if (dropRawAfterDays > 0 && summaryRefreshDays === 0) {
    problems.push(
      `${names.dropRawAfterDays}: needs TIMESCALEDB_SUMMARY_REFRESH_DAYS from ${minSummaryRefreshDays} to ${dropRawAfterDays - 1}: ` +
        'a summary refresh over the whole history would recount the dropped days from no rows',
    );
  } else if (dropRawAfterDays > 0 && summaryRefreshDays >= dropRawAfterDays) {
    problems.push(
      `${names.summaryRefreshDays}: must be less than TIMESCALEDB_DROP_RAW_AFTER_DAYS (${dropRawAfterDays}): ` +
        'a summary refresh reaching back to dropped days would recount them from no rows',
    );
  }
  if (compressAfterDays > 0 && dropRawAfterDays > 0 && compressAfterDays >= dropRawAfterDays) {
    problems.push(`${names.compressAfterDays}: must be less than TIMESCALEDB_DROP_RAW_AFTER_DAYS (${dropRawAfterDays}), or chunks are dropped before they are compressed`);
  }
  if (mode === 'off') {
    problems.push(
      ...requestedPolicySettings(policies).map(
        (name) => `${name}: set, but DATABASE_TIMESCALEDB is off, so todo_event_logs is a plain table that has no such policy; set it to 0, or DATABASE_TIMESCALEDB to auto or required`,
      ),
    );
  }
  return problems;
}
