import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { migrateOnlyConfigKeys } from '../../src/config/config-keys.js';
import { loadConfig } from '../../src/config/load-config.js';
import { requestedPolicySettings, timescaledbPolicyProblems } from '../../src/config/timescaledb-policy-problems.js';
import { configProblems } from '../support/config-problems.js';

const problemsOf = (env: Record<string, string>): readonly string[] => configProblems(env);

const policies = (compressAfterDays: number, dropRawAfterDays: number, summaryRefreshDays: number) => ({ compressAfterDays, dropRawAfterDays, summaryRefreshDays });

describe('TimescaleDB policy settings', () => {
  it('are off by default, and read by migrate only', () => {
    assert.deepEqual(loadConfig({}).timescaledb, policies(0, 0, 0));
    assert.deepEqual(migrateOnlyConfigKeys.map((key) => key.env), ['TIMESCALEDB_COMPRESS_AFTER_DAYS', 'TIMESCALEDB_DROP_RAW_AFTER_DAYS', 'TIMESCALEDB_SUMMARY_REFRESH_DAYS']);
  });

  it('take a retention with a summary refresh window inside it, and compression before retention', () => {
    const config = loadConfig({ TIMESCALEDB_COMPRESS_AFTER_DAYS: '7', TIMESCALEDB_DROP_RAW_AFTER_DAYS: '90', TIMESCALEDB_SUMMARY_REFRESH_DAYS: '30' });
    assert.deepEqual(config.timescaledb, policies(7, 90, 30));
    assert.deepEqual(timescaledbPolicyProblems(policies(1, 4, 3), 'required'), []);
    assert.deepEqual(timescaledbPolicyProblems(policies(30, 0, 0), 'auto'), [], 'compression alone');
    assert.deepEqual(timescaledbPolicyProblems(policies(0, 0, 3), 'auto'), [], 'a refresh window alone');
  });

  it('name each key that is not a whole number of days from 0', () => {
    const problems = problemsOf({ TIMESCALEDB_COMPRESS_AFTER_DAYS: '-1', TIMESCALEDB_DROP_RAW_AFTER_DAYS: '30d', TIMESCALEDB_SUMMARY_REFRESH_DAYS: '1.5' });
    assert.deepEqual(problems.map((problem) => problem.slice(0, problem.indexOf(':'))), [
      'timescaledb.compressAfterDays (TIMESCALEDB_COMPRESS_AFTER_DAYS)',
      'timescaledb.dropRawAfterDays (TIMESCALEDB_DROP_RAW_AFTER_DAYS)',
      'timescaledb.summaryRefreshDays (TIMESCALEDB_SUMMARY_REFRESH_DAYS)',
    ]);
  });

  it('refuse a retention without a summary refresh window, or with one that reaches back to dropped days', () => {
    assert.deepEqual(problemsOf({ TIMESCALEDB_DROP_RAW_AFTER_DAYS: '90' }), [
      'timescaledb.dropRawAfterDays (TIMESCALEDB_DROP_RAW_AFTER_DAYS): needs TIMESCALEDB_SUMMARY_REFRESH_DAYS from 3 to 89: a summary refresh over the whole history would recount the dropped days from no rows',
    ]);
    for (const refresh of ['90', '120']) {
      assert.deepEqual(problemsOf({ TIMESCALEDB_DROP_RAW_AFTER_DAYS: '90', TIMESCALEDB_SUMMARY_REFRESH_DAYS: refresh }), [
        'timescaledb.summaryRefreshDays (TIMESCALEDB_SUMMARY_REFRESH_DAYS): must be less than TIMESCALEDB_DROP_RAW_AFTER_DAYS (90): a summary refresh reaching back to dropped days would recount them from no rows',
      ]);
    }
    assert.deepEqual(problemsOf({ TIMESCALEDB_DROP_RAW_AFTER_DAYS: '3', TIMESCALEDB_SUMMARY_REFRESH_DAYS: '3' }), [
      "timescaledb.dropRawAfterDays (TIMESCALEDB_DROP_RAW_AFTER_DAYS): must be 0 (rows kept for ever) or more than 3: the summaries' refresh needs at least 3 days of rows",
    ]);
  });

  it('refuse a refresh window shorter than TimescaleDB\'s two days behind the newest', () => {
    for (const days of ['1', '2']) {
      assert.deepEqual(problemsOf({ TIMESCALEDB_SUMMARY_REFRESH_DAYS: days }), [
        'timescaledb.summaryRefreshDays (TIMESCALEDB_SUMMARY_REFRESH_DAYS): must be 0 (the whole history) or at least 3: the refresh leaves out the newest day and covers at least two',
      ]);
    }
  });

  it('refuse compression that retention would always come before', () => {
    assert.deepEqual(problemsOf({ TIMESCALEDB_COMPRESS_AFTER_DAYS: '90', TIMESCALEDB_DROP_RAW_AFTER_DAYS: '90', TIMESCALEDB_SUMMARY_REFRESH_DAYS: '30' }), [
      'timescaledb.compressAfterDays (TIMESCALEDB_COMPRESS_AFTER_DAYS): must be less than TIMESCALEDB_DROP_RAW_AFTER_DAYS (90), or chunks are dropped before they are compressed',
    ]);
  });

  it('refuse every policy setting, each by name, when DATABASE_TIMESCALEDB is off', () => {
    const problems = problemsOf({ DATABASE_TIMESCALEDB: 'off', TIMESCALEDB_COMPRESS_AFTER_DAYS: '7', TIMESCALEDB_DROP_RAW_AFTER_DAYS: '90', TIMESCALEDB_SUMMARY_REFRESH_DAYS: '30' });
    assert.deepEqual(problems.map((problem) => problem.slice(0, problem.indexOf(':'))), [
      'timescaledb.compressAfterDays (TIMESCALEDB_COMPRESS_AFTER_DAYS)',
      'timescaledb.dropRawAfterDays (TIMESCALEDB_DROP_RAW_AFTER_DAYS)',
      'timescaledb.summaryRefreshDays (TIMESCALEDB_SUMMARY_REFRESH_DAYS)',
    ]);
    for (const problem of problems) assert.match(problem, /set, but DATABASE_TIMESCALEDB is off/);
    assert.deepEqual(loadConfig({ DATABASE_TIMESCALEDB: 'off', TIMESCALEDB_COMPRESS_AFTER_DAYS: '0' }).timescaledb, policies(0, 0, 0), '0 is off');
  });

  it('list the settings that ask for a policy, for the refusal on a plain table', () => {
    assert.deepEqual(requestedPolicySettings(policies(0, 0, 0)), []);
    assert.deepEqual(requestedPolicySettings(policies(7, 0, 0)), ['timescaledb.compressAfterDays (TIMESCALEDB_COMPRESS_AFTER_DAYS)']);
  });
});
