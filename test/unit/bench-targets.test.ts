import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { judgeTargets } from '../bench/targets.js';

const none = { threeReplicasToCeiling: undefined, latencyP99Ms: {}, peakRssMb: undefined, longRunSteps: [], readQueriesP95Ms: undefined, rollout: {} };

describe('judgeTargets', () => {
  it('judges each measured figure against its target, met or not', () => {
    const lines = judgeTargets({
      threeReplicasToCeiling: 0.98,
      latencyP99Ms: { '2000': 63, '10000': 67 },
      peakRssMb: 203,
      longRunSteps: [31_300, 29_000, 27_000],
      readQueriesP95Ms: { rows: 10_000_000, byQuery: { getGroupLogs: 2.1, getGroupsSummary: 2_311 } },
      rollout: { 'rolling restart of 3': { p99: 440, max: 668 } },
    });
    assert.deepEqual(
      lines.map((line) => [line.name, line.met]),
      [
        ['3 replicas / COPY ceiling', false],
        ['latency p99 at 2000/s', false],
        ['latency p99 at 10000/s', true],
        ['peak RSS of one replica', false],
        ['long run, last step / first step', true],
        ['getGroupLogs p95 on 10000000 rows', true],
        ['getGroupsSummary p95 on 10000000 rows', false],
        ['rolling restart of 3, p99 / max', true],
      ],
    );
    assert.deepEqual(lines[4], { name: 'long run, last step / first step', figure: '0.86', target: '≥ 0.85', met: true });
  });

  it('names the database of the read queries when the figures say which', () => {
    const lines = judgeTargets({ ...none, readQueriesP95Ms: { rows: 1_000_000, on: 'TimescaleDB', byQuery: { 'getGroupsSummary, last day': 61.5 } } });
    assert.deepEqual(lines, [{ name: 'getGroupsSummary, last day p95 on 1000000 rows, TimescaleDB', figure: '61.5 ms', target: '≤ 50 ms', met: false }]);
  });

  it('leaves out the targets of phases that did not run', () => {
    assert.deepEqual(judgeTargets(none), []);
    assert.deepEqual(judgeTargets({ ...none, longRunSteps: [30_000] }), []);
  });
});
