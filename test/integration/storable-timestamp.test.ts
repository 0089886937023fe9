import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import pg from 'pg';
import { isStorableTimestamp } from '../../src/db/timestamptz-micros.js';
import { serverUrl } from '../support/test-database.js';

function two(value: number): string {
  return String(value).padStart(2, '0');
}

/** RFC 3339-shaped text with every field pushed to and past its limits, leap seconds and rounding edges included. */
const nearlyValid = fc
  .tuple(
    fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 }), fc.constantFrom('T', 't', ' '),
    fc.integer({ min: 0, max: 25 }), fc.integer({ min: 0, max: 61 }), fc.integer({ min: 0, max: 62 }),
    fc.oneof(fc.stringMatching(/^(\.\d{1,9})?$/), fc.constantFrom('.5', '.0000005', '.0000006', '.9999994', '.9999995', '.4999995')),
    fc.constantFrom('Z', 'z', '+', '-'), fc.integer({ min: 0, max: 24 }), fc.integer({ min: 0, max: 61 }),
  )
  .map(([y, mo, d, sep, h, mi, s, fraction, zone, oh, om]) => {
    const offset = zone === '+' || zone === '-' ? `${zone}${two(oh)}:${two(om)}` : zone;
    return `${String(y).padStart(4, '0')}-${two(mo)}-${two(d)}${sep}${two(h)}:${two(mi)}:${two(s)}${fraction}${offset}`;
  });

const leapSecondEdges = fc
  .tuple(fc.constantFrom('23:59:60', '23:58:60', '12:30:60', '23:59:59'), fc.stringMatching(/^\.\d{1,9}$/), fc.constantFrom('Z', '+15:59', '-15:59', '+00:00'))
  .map(([time, fraction, offset]) => `2016-12-31T${time}${fraction}${offset}`);

describe('which event times are stored as written', () => {
  let client: pg.Client;

  before(async () => {
    client = new pg.Client({ connectionString: serverUrl() });
    await client.connect();
  });

  after(() => client.end());

  async function postgresTakes(text: string): Promise<boolean> {
    try {
      await client.query('SELECT $1::timestamptz', [text]);
      return true;
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      assert.ok(typeof code === 'string' && code.startsWith('22'), `PostgreSQL refused ${text} as data (class 22), not with ${String(code)}`);
      return false;
    }
  }

  it('accepts exactly the RFC 3339 texts PostgreSQL takes, at every field limit and rounding edge', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(nearlyValid, leapSecondEdges), async (text) => {
        assert.equal(isStorableTimestamp(text), await postgresTakes(text), text);
      }),
      { numRuns: 3_000 },
    );
  });

  it('refuses the leap second past midnight that PostgreSQL refuses', async () => {
    assert.equal(await postgresTakes('2016-12-31T23:59:60.5Z'), false);
    assert.equal(isStorableTimestamp('2016-12-31T23:59:60.5Z'), false);
    assert.equal(await postgresTakes('2016-12-31T23:59:60Z'), true);
    assert.equal(isStorableTimestamp('2016-12-31T23:59:60Z'), true);
  });
});
