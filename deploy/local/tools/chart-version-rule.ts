/** A chart version as released: its semver, the digest of the packaged chart's files, and the keys of its values.yaml. */
export interface ChartRelease {
  version: string;
  digest: string;
  /** Every key path of values.yaml down to its leaves (a scalar, a list or an empty map), sorted. */
  valueKeys: string[];
}

type Semver = readonly [number, number, number];

function parseSemver(version: string): Semver | undefined {
  const match = /^(\d+)\.(\d+)\.(\d+)$/.exec(version);
  return match === null ? undefined : [Number(match[1]), Number(match[2]), Number(match[3])];
}

/** Negative, zero or positive as a is below, equal to or above b. */
export function compareVersions(a: string, b: string): number {
  const [left, right] = [parseSemver(a), parseSemver(b)];
  if (left === undefined || right === undefined) throw new Error(`not a version MAJOR.MINOR.PATCH: ${left === undefined ? a : b}`);
  return left[0] - right[0] || left[1] - right[1] || left[2] - right[2];
}

/**
 * A key of the earlier version's values.yaml that the later one lacks breaks every values file and `--set` that sets
 * it (the schema refuses unknown keys), so the later version must have a higher major.
 */
function removedKeysProblem(earlier: ChartRelease, later: ChartRelease): string | undefined {
  const kept = new Set(later.valueKeys);
  const removed = earlier.valueKeys.filter((key) => !kept.has(key));
  if (removed.length === 0 || (parseSemver(later.version)?.[0] ?? 0) > (parseSemver(earlier.version)?.[0] ?? 0)) return undefined;
  return `chart version ${later.version} removes or renames value keys of ${earlier.version} (${removed.join(', ')}): a breaking change, which needs the next major version`;
}

const howToRelease = 'raise version in Chart.yaml (the major for a change that can break an install or an upgrade), add its CHANGELOG.md entry, then run npm run chart:release';

/**
 * What is wrong with the chart as it is (`current`) against the released versions, oldest first: nothing when its
 * version is the last one released and its files are the ones released under it. A change to any file of the
 * packaged chart therefore needs a new version, recorded as released.
 */
export function chartVersionProblems(current: ChartRelease, released: readonly ChartRelease[]): string[] {
  if (parseSemver(current.version) === undefined) return [`Chart.yaml version ${current.version} is not MAJOR.MINOR.PATCH`];
  const unordered = released.filter((release, index) => index > 0 && compareVersions(release.version, released[index - 1]?.version ?? '') <= 0);
  if (unordered.length > 0) return [`the released versions are not in ascending order at ${unordered.map((release) => release.version).join(', ')}`];
  const breaking = released.flatMap((release, index) => (index === 0 ? [] : [removedKeysProblem(released[index - 1] ?? release, release)])).filter((problem) => problem !== undefined);
  if (breaking.length > 0) return breaking;
  const last = released.at(-1);
  if (last === undefined) return [`no chart version is recorded as released: run npm run chart:release`];
  const sameVersion = released.find((release) => release.version === current.version);
  if (sameVersion === undefined) {
    return compareVersions(current.version, last.version) < 0
      ? [`Chart.yaml version ${current.version} is below ${last.version}, the last released`]
      : [`chart version ${current.version} is not recorded as released: run npm run chart:release`];
  }
  if (sameVersion !== last) return [`Chart.yaml version ${current.version} is below ${last.version}, the last released`];
  if (sameVersion.digest !== current.digest) return [`the chart's files changed since ${current.version} was released, and its version did not: ${howToRelease}`];
  return [];
}

/**
 * The released versions with `current` recorded, or why it cannot be: its version must be above the last one, or be
 * the last one while that is not on main yet (`onMain` lists the versions main has recorded).
 */
export function recordRelease(current: ChartRelease, released: readonly ChartRelease[], onMain: ReadonlySet<string>): ChartRelease[] | string {
  const last = released.at(-1);
  const replacesLast = last !== undefined && last.version === current.version && (last.digest === current.digest || !onMain.has(last.version));
  if (last === undefined || replacesLast || compareVersions(current.version, last.version) > 0) {
    const earlier = replacesLast ? released.at(-2) : last;
    const breaking = earlier === undefined ? undefined : removedKeysProblem(earlier, current);
    if (breaking !== undefined) return `${breaking}; ${howToRelease}`;
    return [...(replacesLast ? released.slice(0, -1) : released), current];
  }
  const reason = last.version === current.version ? 'main has released it already' : `it is not above ${last.version}, the last released`;
  return `chart version ${current.version} cannot be recorded: ${reason}; ${howToRelease}`;
}
