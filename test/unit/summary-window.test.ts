import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { planSummaryWindow, type TimeRange } from '../../src/db/summary-window.js';

const at = (iso: string) => new Date(iso);
const dayMs = 86_400_000;

function contains(range: TimeRange, time: number): boolean {
  return (range.since === undefined || time >= range.since.getTime()) && (range.until === undefined || time < range.until.getTime());
}

describe('planSummaryWindow', () => {
  it('serves an unbounded window from the summary alone', () => {
    assert.deepEqual(planSummaryWindow({}), { wholeDays: { since: undefined, until: undefined }, edges: [] });
  });

  it('reads the partial days at both edges from the rows and the whole days between from the summary', () => {
    assert.deepEqual(planSummaryWindow({ since: at('2025-11-10T10:00:00Z'), until: at('2025-11-13T05:00:00Z') }), {
      wholeDays: { since: at('2025-11-11T00:00:00Z'), until: at('2025-11-13T00:00:00Z') },
      edges: [
        { since: at('2025-11-10T10:00:00Z'), until: at('2025-11-11T00:00:00Z') },
        { since: at('2025-11-13T00:00:00Z'), until: at('2025-11-13T05:00:00Z') },
      ],
    });
  });

  it('needs no edge when the window starts and ends at midnight', () => {
    assert.deepEqual(planSummaryWindow({ since: at('2025-11-10T00:00:00Z'), until: at('2025-11-12T00:00:00Z') }), {
      wholeDays: { since: at('2025-11-10T00:00:00Z'), until: at('2025-11-12T00:00:00Z') },
      edges: [],
    });
  });

  it('reads a window without a whole day from the rows alone', () => {
    const window = { since: at('2025-11-10T10:00:00Z'), until: at('2025-11-11T09:00:00Z') };
    assert.deepEqual(planSummaryWindow(window), { wholeDays: undefined, edges: [window] });
  });

  it('covers every instant of the window exactly once and nothing outside it, reading less than two days of rows', () => {
    const bound = fc.option(fc.integer({ min: 0, max: 5 * dayMs }).map((ms) => new Date(ms)), { nil: undefined });
    fc.assert(
      fc.property(bound, bound, fc.array(fc.integer({ min: -dayMs, max: 6 * dayMs }), { maxLength: 30 }), (since, until, times) => {
        const plan = planSummaryWindow({ since, until });
        let rowsRead = 0;
        for (const edge of plan.edges) {
          assert.ok(edge.since !== undefined && edge.until !== undefined, 'an edge is bounded');
          rowsRead += Math.max(0, edge.until.getTime() - edge.since.getTime());
        }
        assert.ok(rowsRead < 2 * dayMs, 'the rows read cover less than two days');
        for (const bound of [plan.wholeDays?.since, plan.wholeDays?.until]) assert.ok(bound === undefined || bound.getTime() % dayMs === 0, 'whole days start at midnight');
        for (const time of [...times, since?.getTime() ?? 0, (until?.getTime() ?? 1) - 1]) {
          const covering = [...(plan.wholeDays === undefined ? [] : [plan.wholeDays]), ...plan.edges].filter((range) => contains(range, time)).length;
          assert.equal(covering, contains({ since, until }, time) ? 1 : 0, `instant ${time}`);
        }
      }),
    );
  });
});
