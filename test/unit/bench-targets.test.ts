import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { judgeTargets } from '../bench/targets.js';

const none = { threeReplicasToCeiling: undefined, cpuPerMillion: undefined, latencyP99Ms: {}, peakRssMb: undefined, longRunSteps: {}, readQueriesP95Ms: undefined, rollout: {} };

describe('judgeTargets', () => {
  it('judges each measured figure against its target, met or not', () => {
    const lines = judgeTargets({
      threeReplicasToCeiling: 0.98,
      cpuPerMillion: { consumer: 30.2, floor: 12.5 },
      latencyP99Ms: { '2000': 63, '10000': 67 },
      peakRssMb: 203,
      longRunSteps: { PostgreSQL: [31_300, 29_000, 27_000], TimescaleDB: [24_000, 23_000, 22_800] },
      readQueriesP95Ms: { rows: 10_000_000, byQuery: { getGroupLogs: 2.1, getGroupsSummary: 2_311 } },
      rollout: { 'rolling restart of 3': { p99: 440, max: 668 } },
    });
    assert.deepEqual(
      lines.map((line) => [line.name, line.met]),
      [
        ['3 replicas / COPY ceiling', false],
        ['CPU per event, 1 replica / fetch-and-parse floor', false],
        ['latency p99 at 2000/s', false],
        ['latency p99 at 10000/s', true],
        ['peak RSS of one replica', false],
        ['long run on PostgreSQL, last step / first step', true],
        ['long run on TimescaleDB, last step / first step', true],
        ['getGroupLogs p95 on 10000000 rows', true],
        ['getGroupsSummary p95 on 10000000 rows', false],
        ['rolling restart of 3, p99 / max', true],
      ],
    );
    assert.deepEqual(lines[5], { name: 'long run on PostgreSQL, last step / first step', figure: '0.86', target: '≥ 0.85', met: true });
    assert.deepEqual(lines[6], { name: 'long run on TimescaleDB, last step / first step', figure: '0.95', target: '≥ 0.85', met: true });
  });

  it('judges CPU per event against 1.5 times the floor, the ratio and both figures shown', () => {
    assert.deepEqual(judgeTargets({ ...none, cpuPerMillion: { consumer: 18, floor: 12 } }), [
      { name: 'CPU per event, 1 replica / fetch-and-parse floor', figure: '1.50 (18.0 / 12.0 s per 1M)', target: '≤ 1.50', met: true },
    ]);
    assert.equal(judgeTargets({ ...none, cpuPerMillion: { consumer: 18.1, floor: 12 } })[0]?.met, false);
  });

  it('names the database of the read queries when the figures say which', () => {
    const lines = judgeTargets({ ...none, readQueriesP95Ms: { rows: 1_000_000, on: 'TimescaleDB', byQuery: { 'getGroupsSummary, last day': 61.5 } } });
    assert.deepEqual(lines, [{ name: 'getGroupsSummary, last day p95 on 1000000 rows, TimescaleDB', figure: '61.5 ms', target: '≤ 50 ms', met: false }]);
  });

  it('leaves out the targets of phases that did not run', () => {
    assert.deepEqual(judgeTargets(none), []);
    assert.deepEqual(judgeTargets({ ...none, longRunSteps: { PostgreSQL: [30_000] } }), []);
  });
});
