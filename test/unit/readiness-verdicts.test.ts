import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { storingPodsTurnedUnready, storingWithin, unreadyTransitions, type PodObservation, type RowsSample } from '../cluster/support/readiness-verdicts.js';

const seen = (pod: string, at: number, ready: boolean, { terminating = false, deleted = false } = {}): PodObservation => ({ pod, at, ready, terminating, deleted });
const rows = (pod: string, at: number, count: number): RowsSample => ({ pod, at, rows: count });

describe('storingWithin', () => {
  const samples = [rows('a', 1_000, 10), rows('a', 2_000, 10), rows('a', 3_000, 25), rows('b', 1_000, 0), rows('b', 2_000, 0)];

  it('is storing when the counter rose inside the window, counted from the sample before it', () => {
    assert.equal(storingWithin(samples, 'a', 2_500, 3_500), 'storing');
    assert.equal(storingWithin([rows('a', 1_000, 10), rows('a', 2_000, 12)], 'a', 1_500, 2_500), 'storing');
  });

  it('is idle when the samples inside the window show the counter flat', () => {
    assert.equal(storingWithin(samples, 'a', 1_500, 2_500), 'idle');
    assert.equal(storingWithin(samples, 'b', 0, 5_000), 'idle');
  });

  it('counts a first sample above 0 as storing: the counter starts at 0', () => {
    assert.equal(storingWithin(samples, 'a', 500, 1_500), 'storing');
  });

  it('is unknown without a sample in the window, or for a pod never read', () => {
    assert.equal(storingWithin(samples, 'a', 3_500, 9_000), 'unknown');
    assert.equal(storingWithin(samples, 'c', 0, 9_000), 'unknown');
  });

  it('ignores samples after the window', () => {
    assert.equal(storingWithin(samples, 'a', 1_500, 2_500), 'idle');
  });
});

describe('unreadyTransitions', () => {
  const storing = [rows('a', 1_000, 5), rows('a', 2_000, 9), rows('b', 1_000, 5), rows('b', 2_000, 5)];

  it('is empty for pods that start unready, become Ready and stay so', () => {
    assert.deepEqual(unreadyTransitions([seen('a', 0, false), seen('a', 500, true), seen('a', 900, true)], storing, 1_000), []);
  });

  it('judges a live pod that turned unready by its rows within the window before', () => {
    const transitions = unreadyTransitions([seen('a', 0, true), seen('b', 0, true), seen('a', 2_100, false), seen('b', 2_100, false)], storing, 1_000);
    assert.deepEqual(transitions, [
      { pod: 'a', at: 2_100, terminating: false, storing: 'storing' },
      { pod: 'b', at: 2_100, terminating: false, storing: 'idle' },
    ]);
    assert.deepEqual(storingPodsTurnedUnready(transitions).map((transition) => transition.pod), ['a']);
  });

  it('takes a pod unready in a version with a deletionTimestamp, or in its deletion, as stopped after SIGTERM', () => {
    const transitions = unreadyTransitions([seen('a', 0, true), seen('a', 2_000, true, { terminating: true }), seen('a', 2_500, false, { terminating: true }), seen('b', 0, true), seen('b', 2_100, false, { deleted: true })], storing, 1_500);
    assert.deepEqual(transitions, [
      { pod: 'a', at: 2_500, terminating: true },
      { pod: 'b', at: 2_100, terminating: true },
    ]);
    assert.deepEqual(storingPodsTurnedUnready(transitions), []);
  });

  it('fails a live pod that could not be read: unknown is never a pass', () => {
    const transitions = unreadyTransitions([seen('c', 0, true), seen('c', 5_000, false)], storing, 1_500);
    assert.deepEqual(storingPodsTurnedUnready(transitions), [{ pod: 'c', at: 5_000, terminating: false, storing: 'unknown' }]);
  });

  it('counts each turn: Ready, unready, Ready again, unready again', () => {
    const transitions = unreadyTransitions([seen('b', 0, true), seen('b', 1_000, false), seen('b', 1_500, true), seen('b', 1_800, false)], storing, 1_500);
    assert.deepEqual(transitions.map((transition) => transition.at), [1_000, 1_800]);
  });
});
