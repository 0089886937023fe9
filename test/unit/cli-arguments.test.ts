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

  for (const args of [['migrate'], ['migrate', 'sideways'], ['logs', 'group'], ['logs', 'groups', 'extra'], ['logs', 'task', 't', '--limit', '0'], ['logs', 'task', 't', '--since', 'soon'], ['consume', '--limit', '3'], ['scaler', 'now'], ['scaler', '--since', '2025-11-10T00:00:00Z'], ['serve']]) {
    it(`rejects ${args.join(' ')}`, () => assert.throws(() => parseCliArguments(args), UsageError));
  }
});
