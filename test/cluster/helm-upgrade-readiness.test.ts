import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { waitFor } from '../../deploy/local/system/wait-for.js';
import { assertStoredExactlyOnce } from '../support/exactly-once.js';
import { CHART_DIR, helm } from './support/cluster-commands.js';
import { podStates } from './support/cluster-state.js';
import { PodReadinessWatch } from './support/pod-readiness-watch.js';
import { storingPodsTurnedUnready, unreadyTransitions } from './support/readiness-verdicts.js';
import { installRelease, type TestRelease } from './support/release.js';
import { rolloutFigures } from './support/rollout-figures.js';
import { startSteadyStream } from './support/steady-stream.js';
import { StoredRowsSampler } from './support/stored-rows-sampler.js';

const PARTITIONS = 6;
const REPLICAS = 3;
const EVENTS_PER_SECOND = 300;
/** Bounds the stream: 4 minutes at the rate, more than the rollout needs under helm's 5 m timeout. */
const MAX_EVENTS = EVENTS_PER_SECOND * 240;
/** Steady stream before the upgrade, for the steady latency the rollout's is compared with. */
const STEADY_EVENTS = EVENTS_PER_SECOND * 10;
/** Steady stream after the rollout, so that the new pods are seen storing it too. */
const AFTER_ROLLOUT_EVENTS = EVENTS_PER_SECOND * 5;
const HTTP_PORT = 8080;
const SAMPLE_INTERVAL_MS = 1_000;
/**
 * The chart's readiness probe fails periodSeconds (5) × failureThreshold (2) before the kubelet marks a pod
 * unready; one period more covers the poll that first failed. A pod that stored rows within this long
 * before it turned unready was storing when its probe began to fail.
 */
const STORING_WINDOW_MS = (5 * 2 + 5) * 1000;
const HELM_TIMEOUT = '5m';
const SETTLE_TIMEOUT_MS = 120_000;
const STORE_TIMEOUT_MS = 180_000;

/**
 * `helm upgrade --wait` of a running release (3 consumers, a 6-partition topic) that rolls every pod (a new
 * pod annotation), while the test produces 300 events a second, each with a unique sequence number.
 *
 * Readiness is watched through the API server (a list and watch of the consumer pods), and every pod's
 * rows-inserted counter is read once a second through the API server's pod proxy. What counts:
 * - A pod *turns unready* when a version of it shows its Ready condition False after one showed it True;
 *   pods that start unready and become Ready are not transitions.
 * - A pod *stopped by the rollout* is one whose version that first shows it unready has a deletionTimestamp
 *   (or is its deletion): the API server accepted its deletion, and the kubelet sends SIGTERM at once
 *   (the chart has no preStop hook), so it stopped being ready only after SIGTERM. That is expected.
 * - Any other pod that turns unready is live. It *was storing batches* if its rows-inserted counter rose
 *   within STORING_WINDOW_MS before the transition; a live pod with no sample there counts as storing,
 *   so a pod that cannot be read never passes. A live storing pod that turns unready fails the test; a
 *   live pod that was idle is reported.
 * Afterwards every event must be a row exactly once (by its sequence and by its Kafka coordinates), and
 * the group's committed offsets must reach every partition's end. The rollout's produce-to-row latency
 * and longest stretch without a commit are printed, not asserted.
 */
describe('helm upgrade of a running release during a steady stream', () => {
  let release: TestRelease;
  before(async () => {
    release = await installRelease({ partitions: PARTITIONS, existingSecret: true, values: { replicaCount: REPLICAS } });
  });
  after(async () => {
    await release.remove();
  });

  const settledPods = (accept: (names: string[]) => boolean, what: string): Promise<string[]> =>
    waitFor(
      what,
      async () => (await podStates(release.namespace, 'consumer')).filter((pod) => pod.ready && !pod.terminating).map((pod) => pod.name),
      (names) => names.length === REPLICAS && accept(names),
      { timeoutMs: SETTLE_TIMEOUT_MS, intervalMs: 500 },
    );

  it('keeps every pod that stores batches Ready, and stores every event exactly once', async (t) => {
    const oldPods = await settledPods(() => true, `${REPLICAS} Ready consumers`);
    const watch = await PodReadinessWatch.start(release.namespace, 'consumer');
    const sampler = StoredRowsSampler.start(release.namespace, HTTP_PORT, () => watch.livePods(), SAMPLE_INTERVAL_MS, 10 * 60_000);
    const waitForRows = (pods: string[], what: string): Promise<unknown> =>
      waitFor(what, () => Promise.resolve(sampler.mostRows()), (rows) => pods.every((pod) => (rows.get(pod) ?? 0) > 0), { timeoutMs: SETTLE_TIMEOUT_MS, intervalMs: 500 });
    const streamStart = Date.now();
    const stream = startSteadyStream(release.topics, release.namespace, EVENTS_PER_SECOND, MAX_EVENTS);
    const waitForProduced = (count: number, what: string): Promise<unknown> =>
      waitFor(what, () => Promise.resolve(stream.produced), (produced) => produced >= count, { timeoutMs: SETTLE_TIMEOUT_MS, intervalMs: 500 });
    let upgrade: Awaited<ReturnType<typeof helm>>;
    let upgradeStart: number;
    let upgradeEnd: number;
    let newPods: string[];
    let produced: number;
    try {
      await waitForRows(oldPods, 'every old pod to store rows');
      await waitForProduced(STEADY_EVENTS, 'a steady stretch before the upgrade');
      upgradeStart = Date.now();
      upgrade = await helm('upgrade', release.name, CHART_DIR, '--namespace', release.namespace, '--reuse-values', '--wait', '--timeout', HELM_TIMEOUT, '--set-string', `podAnnotations.rollout-id=${randomUUID()}`);
      upgradeEnd = Date.now();
      assert.equal(upgrade.exitCode, 0, `${upgrade.stdout}\n${upgrade.stderr}`);
      newPods = await settledPods((names) => names.every((name) => !oldPods.includes(name)), `${REPLICAS} new Ready consumers`);
      await waitForProduced(stream.produced + AFTER_ROLLOUT_EVENTS, 'the stream to go on after the rollout');
      await waitForRows(newPods, 'every new pod to store rows');
    } finally {
      produced = await stream.stop();
      await sampler.stop();
      await watch.stop();
    }
    assert.ok(produced < MAX_EVENTS, `the stream ran through the rollout and after it (${produced} events, at most ${MAX_EVENTS})`);
    assert.deepEqual(watch.errors, [], 'the pods were watched without a break');
    const deletions = watch.deletions();
    assert.deepEqual(oldPods.filter((pod) => !deletions.has(pod)), [], 'the rollout deleted every old pod');

    const transitions = unreadyTransitions(watch.observations, sampler.samples, STORING_WINDOW_MS);
    for (const { pod, at, terminating, storing } of transitions) {
      t.diagnostic(`${pod} turned unready ${((at - upgradeStart) / 1000).toFixed(1)} s into the upgrade: ${terminating ? 'after its deletion (SIGTERM)' : `live, ${storing ?? ''}`}`);
    }
    assert.deepEqual(storingPodsTurnedUnready(transitions), [], 'no pod that was storing batches turned unready');

    await waitFor('every event to be stored', () => release.database.rowCount(), (rows) => rows >= produced, { timeoutMs: STORE_TIMEOUT_MS, intervalMs: 500 });
    const { rows } = await sql<{ rows: string; ids: string; lowest: string; highest: string }>`
      SELECT count(*) AS rows, count(DISTINCT event_data->'payload'->>'sequence') AS ids,
        min((event_data->'payload'->>'sequence')::bigint) AS lowest, max((event_data->'payload'->>'sequence')::bigint) AS highest
      FROM todo_event_logs`.execute(release.database.db);
    assert.deepEqual(rows[0], { rows: String(produced), ids: String(produced), lowest: '0', highest: String(produced - 1) }, 'each produced event is one row, by its sequence');
    assert.equal(await assertStoredExactlyOnce(release.database, release.topics), produced);
    const ends = await release.topics.endOffsets();
    await waitFor('the group\'s committed offsets to reach the log end', () => release.topics.committedOffsets(), (committed) => [...ends].every(([partition, end]) => committed.get(partition) === end), {
      timeoutMs: SETTLE_TIMEOUT_MS,
      intervalMs: 500,
    });

    const figures = await rolloutFigures(release.database, streamStart, upgradeStart, upgradeEnd);
    const ms = (value: number): string => `${value.toFixed(0)} ms`;
    t.diagnostic(`${produced} events at ${EVENTS_PER_SECOND}/s; helm upgrade took ${((upgradeEnd - upgradeStart) / 1000).toFixed(0)} s, ${oldPods.join(', ')} → ${newPods.join(', ')}`);
    t.diagnostic(`produce-to-row latency: steady p99 ${ms(figures.steady.p99)}, max ${ms(figures.steady.max)} (${figures.steady.events} events); during the upgrade p99 ${ms(figures.rollout.p99)}, max ${ms(figures.rollout.max)} (${figures.rollout.events} events)`);
    t.diagnostic(`longest stretch without a commit during the upgrade: ${ms(figures.longestCommitGapMs)}`);
  });
});
