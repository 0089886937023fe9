import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chartVersionProblems, compareVersions, recordRelease, type ChartRelease } from '../../deploy/local/tools/chart-version-rule.js';

const release = (version: string, digest: string, valueKeys = ['image.repository', 'replicaCount']): ChartRelease => ({ version, digest, valueKeys });
const released: ChartRelease[] = [release('0.9.0', 'sha256:a'), release('1.0.0', 'sha256:b')];

describe('the chart version rule', () => {
  it('compares versions by number, not text', () => {
    assert.ok(compareVersions('1.10.0', '1.9.0') > 0);
    assert.ok(compareVersions('2.0.0', '10.0.0') < 0);
    assert.equal(compareVersions('1.2.3', '1.2.3'), 0);
  });

  it('accepts the last released version with its files unchanged', () => {
    assert.deepEqual(chartVersionProblems(release('1.0.0', 'sha256:b'), released), []);
  });

  it('refuses changed files under the released version', () => {
    const [problem = ''] = chartVersionProblems(release('1.0.0', 'sha256:c'), released);
    assert.match(problem, /^the chart's files changed since 1\.0\.0 was released, and its version did not: raise version/);
  });

  it('refuses a new version until it is recorded, an older or a lower one, and a version that is no semver', () => {
    assert.deepEqual(chartVersionProblems(release('1.0.1', 'sha256:c'), released), ['chart version 1.0.1 is not recorded as released: run npm run chart:release']);
    assert.deepEqual(chartVersionProblems(release('0.9.0', 'sha256:a'), released), ['Chart.yaml version 0.9.0 is below 1.0.0, the last released']);
    assert.deepEqual(chartVersionProblems(release('0.9.5', 'sha256:c'), released), ['Chart.yaml version 0.9.5 is below 1.0.0, the last released']);
    assert.deepEqual(chartVersionProblems(release('1.1', 'sha256:c'), released), ['Chart.yaml version 1.1 is not MAJOR.MINOR.PATCH']);
  });

  it('refuses a record whose versions do not ascend, and an empty one', () => {
    assert.match(chartVersionProblems(release('1.0.0', 'sha256:b'), [...released].reverse())[0] ?? '', /not in ascending order at 0\.9\.0/);
    assert.match(chartVersionProblems(release('1.0.0', 'sha256:b'), [])[0] ?? '', /no chart version is recorded/);
  });

  it('needs a major version above the last release when a value key of it is gone', () => {
    const withoutReplicaCount = (version: string): ChartRelease => release(version, 'sha256:c', ['image.repository', 'initialReplicas']);
    assert.match(String(recordRelease(withoutReplicaCount('1.1.0'), released, new Set())), /^chart version 1\.1\.0 removes or renames value keys of 1\.0\.0 \(replicaCount\): a breaking change, which needs the next major version/);
    assert.deepEqual(recordRelease(withoutReplicaCount('2.0.0'), released, new Set()), [...released, withoutReplicaCount('2.0.0')]);
    assert.deepEqual(chartVersionProblems(withoutReplicaCount('1.1.0'), [...released, withoutReplicaCount('1.1.0')]), [
      'chart version 1.1.0 removes or renames value keys of 1.0.0 (replicaCount): a breaking change, which needs the next major version',
    ]);
    assert.deepEqual(chartVersionProblems(release('1.1.0', 'sha256:c', ['image.repository', 'replicaCount', 'initialReplicas']), [...released, release('1.1.0', 'sha256:c', ['image.repository', 'replicaCount', 'initialReplicas'])]), []);
  });

  it('records a higher version, and the last one again only while main has not recorded it', () => {
    const next = release('1.1.0', 'sha256:c');
    assert.deepEqual(recordRelease(next, released, new Set(['0.9.0', '1.0.0'])), [...released, next]);
    const changedLast = release('1.0.0', 'sha256:d');
    assert.deepEqual(recordRelease(changedLast, released, new Set(['0.9.0'])), [released[0], changedLast]);
    assert.match(String(recordRelease(changedLast, released, new Set(['0.9.0', '1.0.0']))), /^chart version 1\.0\.0 cannot be recorded: main has released it already; raise version/);
    assert.match(String(recordRelease(release('0.9.1', 'sha256:e'), released, new Set())), /^chart version 0\.9\.1 cannot be recorded: it is not above 1\.0\.0, the last released; raise version/);
  });
});
