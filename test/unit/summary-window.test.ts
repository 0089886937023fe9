import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { planSummaryWindow, type TimeRange } from '../../src/db/summary-window.js';

const at = (iso: string) => new Date(iso);
const dayMs = 86_400_000;
const hourMs = 3_600_000;
const levels = [
  { name: 'day', ms: dayMs },
  { name: 'hour', ms: hourMs },
] as const;

function contains(range: TimeRange, time: number): boolean {
  return (range.since === undefined || time >= range.since.getTime()) && (range.until === undefined || time < range.until.getTime());
}

describe('planSummaryWindow', () => {
  it('serves an unbounded window from the coarsest summary alone', () => {
    assert.deepEqual(planSummaryWindow({}, levels), [{ source: 'day', range: { since: undefined, until: undefined } }]);
  });

  it('reads whole days from the day summary, the whole hours of the partial days from the hour summary, and the partial hours from the rows', () => {
    assert.deepEqual(planSummaryWindow({ since: at('2025-11-10T10:30:00Z'), until: at('2025-11-13T05:00:00.250Z') }, levels), [
      { source: 'rows', range: { since: at('2025-11-10T10:30:00Z'), until: at('2025-11-10T11:00:00Z') } },
      { source: 'hour', range: { since: at('2025-11-10T11:00:00Z'), until: at('2025-11-11T00:00:00Z') } },
      { source: 'day', range: { since: at('2025-11-11T00:00:00Z'), until: at('2025-11-13T00:00:00Z') } },
      { source: 'hour', range: { since: at('2025-11-13T00:00:00Z'), until: at('2025-11-13T05:00:00Z') } },
      { source: 'rows', range: { since: at('2025-11-13T05:00:00Z'), until: at('2025-11-13T05:00:00.250Z') } },
    ]);
  });

  it('needs no rows when the window starts and ends at midnight', () => {
    assert.deepEqual(planSummaryWindow({ since: at('2025-11-10T00:00:00Z'), until: at('2025-11-12T00:00:00Z') }, levels), [
      { source: 'day', range: { since: at('2025-11-10T00:00:00Z'), until: at('2025-11-12T00:00:00Z') } },
    ]);
  });

  it('reads a window of a day that holds no whole day from hours and its partial hours', () => {
    assert.deepEqual(planSummaryWindow({ since: at('2025-11-10T10:00:00.001Z'), until: at('2025-11-11T10:00:00.001Z') }, levels), [
      { source: 'rows', range: { since: at('2025-11-10T10:00:00.001Z'), until: at('2025-11-10T11:00:00Z') } },
      { source: 'hour', range: { since: at('2025-11-10T11:00:00Z'), until: at('2025-11-11T10:00:00Z') } },
      { source: 'rows', range: { since: at('2025-11-11T10:00:00Z'), until: at('2025-11-11T10:00:00.001Z') } },
    ]);
  });

  it('reads a window within one hour, or any window without summaries, from the rows alone, and an empty window from nothing', () => {
    const window = { since: at('2025-11-10T10:05:00Z'), until: at('2025-11-10T10:55:00Z') };
    assert.deepEqual(planSummaryWindow(window, levels), [{ source: 'rows', range: window }]);
    assert.deepEqual(planSummaryWindow({ until: window.until }, []), [{ source: 'rows', range: { until: window.until } }]);
    assert.deepEqual(planSummaryWindow({ since: window.until, until: window.since }, levels), []);
  });

  it('covers every instant of the window exactly once and nothing outside it, oldest piece first, reading less than two hours of rows', () => {
    const instant = fc.oneof(
      fc.integer({ min: 0, max: 5 * dayMs }),
      fc.integer({ min: 0, max: 5 * 24 }).chain((hour) => fc.constantFrom(hour * hourMs - 1, hour * hourMs, hour * hourMs + 1)),
    );
    const bound = fc.option(instant.map((ms) => new Date(ms)), { nil: undefined });
    fc.assert(
      fc.property(bound, bound, fc.array(fc.integer({ min: -dayMs, max: 6 * dayMs }), { maxLength: 30 }), (since, until, times) => {
        const pieces = planSummaryWindow({ since, until }, levels);
        let rowsRead = 0;
        for (const [index, { source, range }] of pieces.entries()) {
          if (source === 'rows') {
            assert.ok(range.since !== undefined && range.until !== undefined, 'rows are read within bounds');
            rowsRead += range.until.getTime() - range.since.getTime();
          } else {
            const width = source === 'day' ? dayMs : hourMs;
            for (const edge of [range.since, range.until]) assert.ok(edge === undefined || edge.getTime() % width === 0, `${source} buckets are whole`);
          }
          const next = pieces[index + 1];
          if (next !== undefined) assert.equal(range.until?.getTime(), next.range.since?.getTime(), 'pieces follow each other');
        }
        assert.ok(rowsRead < 2 * hourMs, 'the rows read cover less than two hours');
        for (const time of [...times, since?.getTime() ?? 0, (until?.getTime() ?? 1) - 1]) {
          const covering = pieces.filter(({ range }) => contains(range, time)).length;
          assert.equal(covering, contains({ since, until }, time) ? 1 : 0, `instant ${time}`);
        }
      }),
    );
  });
});
