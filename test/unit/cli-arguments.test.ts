import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCliArguments, UsageError } from '../../src/cli-arguments.js';

describe('parseCliArguments', () => {
  it('parses each command', () => {
    assert.deepEqual(parseCliArguments(['consume']), { name: 'consume' });
    assert.deepEqual(parseCliArguments(['scaler']), { name: 'scaler' });
    assert.deepEqual(parseCliArguments(['migrate', 'status']), { name: 'migrate', action: 'status' });
    assert.deepEqual(parseCliArguments(['logs', 'groups']), { name: 'logs', query: { kind: 'groups' }, options: {} });
    assert.deepEqual(parseCliArguments(['logs', 'group-tasks', 'g1', '--limit', '5', '--since', '2025-11-10T00:00:00Z']), {
      name: 'logs',
      query: { kind: 'group-tasks', id: 'g1' },
      options: { limit: 5, since: new Date('2025-11-10T00:00:00Z') },
    });
    assert.deepEqual(parseCliArguments([]), { name: 'help' });
  });

  it('parses dlq inspect and replay with their filters', () => {
    assert.deepEqual(parseCliArguments(['dlq', 'inspect']), { name: 'dlq', request: { action: 'inspect', filter: {}, samples: 3, dryRun: false, timeoutMs: 120_000 } });
    assert.deepEqual(
      parseCliArguments(['dlq', 'replay', '--reason', 'too_large', '--reason', 'invalid_json', '--since', '2026-11-01T00:00:00Z', '--until', '2026-11-02T00:00:00Z', '--partition', '2', '--offsets', '10-20', '--dry-run', '--timeout-ms', '5000']),
      {
        name: 'dlq',
        request: {
          action: 'replay',
          filter: { reasons: ['too_large', 'invalid_json'], since: new Date('2026-11-01T00:00:00Z'), until: new Date('2026-11-02T00:00:00Z'), partition: 2, offsets: { from: 10n, to: 20n } },
          samples: 3,
          dryRun: true,
          timeoutMs: 5_000,
        },
      },
    );
  });

  it('parses offsets show and reset with their targets', () => {
    assert.deepEqual(parseCliArguments(['offsets', 'show']), { name: 'offsets', request: { action: 'show' } });
    assert.deepEqual(parseCliArguments(['offsets', 'reset', '--to', 'earliest']), { name: 'offsets', request: { action: 'reset', target: { kind: 'earliest' }, partitions: [], dryRun: false } });
    assert.deepEqual(parseCliArguments(['offsets', 'reset', '--to', 'committed']), { name: 'offsets', request: { action: 'reset', target: { kind: 'committed' }, partitions: [], dryRun: false } });
    assert.deepEqual(parseCliArguments(['offsets', 'reset', '--to', '9223372036854775806', '--partition', '3', '--dry-run']), {
      name: 'offsets',
      request: { action: 'reset', target: { kind: 'offset', offset: 9_223_372_036_854_775_806n }, partitions: [3], dryRun: true },
    });
    assert.deepEqual(parseCliArguments(['offsets', 'reset', '--to', '2026-11-01T00:00:00Z']), {
      name: 'offsets',
      request: { action: 'reset', target: { kind: 'time', time: new Date('2026-11-01T00:00:00Z') }, partitions: [], dryRun: false },
    });
  });

  it('parses topic check, with or without the partition count', () => {
    assert.deepEqual(parseCliArguments(['topic', 'check']), { name: 'topic', request: {} });
    assert.deepEqual(parseCliArguments(['topic', 'check', '--partitions', '6']), { name: 'topic', request: { partitions: 6 } });
  });

  for (const args of [['migrate'], ['migrate', 'sideways'], ['logs', 'group'], ['logs', 'groups', 'extra'], ['logs', 'task', 't', '--limit', '0'], ['logs', 'task', 't', '--since', 'soon'], ['consume', '--limit', '3'], ['scaler', 'now'], ['scaler', '--since', '2025-11-10T00:00:00Z'], ['serve'],
    ['dlq'], ['dlq', 'purge'], ['dlq', 'inspect', '--dry-run'], ['dlq', 'replay', '--samples', '2'], ['dlq', 'inspect', '--offsets', '1-2'],
    ['dlq', 'inspect', '--partition', '0', '--offsets', '5-2'], ['dlq', 'inspect', '--partition', 'x'], ['dlq', 'inspect', '--limit', '3'], ['logs', 'groups', '--dry-run'],
    ['offsets'], ['offsets', 'rewind'], ['offsets', 'reset'], ['offsets', 'reset', '--to', 'someday'], ['offsets', 'show', '--to', 'latest'], ['offsets', 'show', '--dry-run'],
    ['offsets', 'reset', '--to', 'latest', '--reason', 'x'], ['offsets', 'reset', '--to', 'latest', '--limit', '3'], ['consume', '--to', 'latest'], ['consume', '--partition', '1'],
    ['topic'], ['topic', 'list'], ['topic', 'check', 'extra'], ['topic', 'check', '--partitions', '0'], ['topic', 'check', '--partitions', 'six'], ['topic', 'check', '--partition', '1'], ['offsets', 'show', '--partitions', '3']]) {
    it(`rejects ${args.join(' ')}`, () => assert.throws(() => parseCliArguments(args), UsageError));
  }
});
