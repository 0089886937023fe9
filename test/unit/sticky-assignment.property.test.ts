import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { stickyAssignment, type MemberClaim } from '../../src/consumer/sticky-assignment.js';
import { ownedPartitions } from '../../src/kafka/sticky-assigner.js';

const runs = { numRuns: 2_000 };
const range = (count: number): number[] => Array.from({ length: count }, (_, i) => i);

/** Members (unique ids) with any claims at all: overlapping, partitions that do not exist, duplicates. */
const anyClaims = fc.record({
  partitions: fc.integer({ min: 0, max: 40 }),
  members: fc.uniqueArray(fc.record({ memberId: fc.string({ minLength: 1, maxLength: 8 }), owned: fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 20 }) }), {
    minLength: 1,
    maxLength: 12,
    selector: (member) => member.memberId,
  }),
});

/** A previous assignment of the partitions (each to one member or to none), then members joining and leaving. */
const previousAssignment = fc
  .record({ partitions: fc.integer({ min: 1, max: 40 }), members: fc.integer({ min: 1, max: 12 }) })
  .chain(({ partitions, members }) =>
    fc.record({
      partitions: fc.constant(partitions),
      owner: fc.array(fc.integer({ min: -1, max: members - 1 }), { minLength: partitions, maxLength: partitions }),
      members: fc.constant(members),
    }),
  )
  .map(({ partitions, owner, members }): { partitions: number; claims: MemberClaim[] } => ({
    partitions,
    claims: range(members).map((m) => ({ memberId: `member-${m}`, owned: range(partitions).filter((p) => owner[p] === m) })),
  }));

function counts(assignment: Map<string, number[]>): number[] {
  return [...assignment.values()].map((partitions) => partitions.length);
}

describe('stickyAssignment', () => {
  it('assigns every partition exactly once, to the members only, balanced within 1, whatever the claims', () => {
    fc.assert(
      fc.property(anyClaims, ({ partitions, members }) => {
        const assignment = stickyAssignment(members, range(partitions));
        assert.deepEqual([...assignment.keys()].sort(), members.map((m) => m.memberId).sort());
        assert.deepEqual([...assignment.values()].flat().sort((a, b) => a - b), range(partitions));
        assert.ok(Math.max(...counts(assignment)) - Math.min(...counts(assignment)) <= 1, `counts ${counts(assignment).join(',')}`);
      }),
      runs,
    );
  });

  it('keeps each member\'s partitions up to its fair share, and keeps a balanced assignment as it is', () => {
    fc.assert(
      fc.property(previousAssignment, ({ partitions, claims }) => {
        const assignment = stickyAssignment(claims, range(partitions));
        const share = Math.floor(partitions / claims.length);
        for (const { memberId, owned } of claims) {
          const kept = (assignment.get(memberId) ?? []).filter((p) => owned.includes(p)).length;
          assert.ok(kept >= Math.min(owned.length, share), `${memberId} kept ${kept} of ${owned.length} with a share of ${share}`);
        }
        const previous = claims.map((claim) => claim.owned.length);
        const balanced = previous.reduce((s, n) => s + n, 0) === partitions && Math.max(...previous) - Math.min(...previous) <= 1;
        if (balanced) for (const { memberId, owned } of claims) assert.deepEqual(assignment.get(memberId), owned);
      }),
      runs,
    );
  });

  it('moves only what it must in a rolling restart and a scale event of 6 partitions', () => {
    const before = new Map([
      ['a', [0, 3]],
      ['b', [1, 4]],
      ['c', [2, 5]],
    ]);
    const claims = (owners: Map<string, number[]>, joining: string[] = []): MemberClaim[] => [
      ...[...owners].map(([memberId, owned]) => ({ memberId, owned })),
      ...joining.map((memberId) => ({ memberId, owned: [] })),
    ];
    const surged = stickyAssignment(claims(before, ['d']), range(6));
    assert.deepEqual(surged, new Map([['a', [0, 3]], ['b', [1, 4]], ['c', [2]], ['d', [5]]]), 'a new member takes one partition, from a member with two');
    surged.delete('a');
    assert.deepEqual(stickyAssignment(claims(surged), range(6)), new Map([['b', [1, 4]], ['c', [0, 2]], ['d', [3, 5]]]), 'the leaving member\'s two go to the members with one');
    const scaled = stickyAssignment(claims(before, ['d', 'e', 'f']), range(6));
    assert.deepEqual(counts(scaled), [1, 1, 1, 1, 1, 1]);
    assert.deepEqual([scaled.get('a'), scaled.get('b'), scaled.get('c')], [[0], [1], [2]]);
  });

  it('gives a partition two members claim to one of them, and ignores claims of partitions that are gone', () => {
    const assignment = stickyAssignment([{ memberId: 'a', owned: [0, 1, 7] }, { memberId: 'b', owned: [1, 2] }], range(4));
    assert.deepEqual(assignment, new Map([['a', [0, 1]], ['b', [2, 3]]]));
  });

  it('assigns nothing when there is nothing, and nothing to nobody', () => {
    assert.deepEqual(stickyAssignment([{ memberId: 'a', owned: [0] }], []), new Map([['a', []]]));
    assert.deepEqual(stickyAssignment([], range(3)), new Map());
  });
});

describe('ownedPartitions', () => {
  it('reads the partitions a member owns from its subscription\'s user data', () => {
    assert.deepEqual(ownedPartitions(Buffer.from('{"v":1,"owned":{"events":[0,3]}}'), 'events'), [0, 3]);
    assert.deepEqual(ownedPartitions(Buffer.from('{"v":1,"owned":{"events":[0,3]}}'), 'other'), []);
  });

  it('reads none from empty user data, another format or version, or values that are not partitions', () => {
    for (const userData of ['', 'not json', '[1,2]', 'null', '{"v":2,"owned":{"events":[0]}}', '{"v":1}', '{"v":1,"owned":{"events":"0"}}']) {
      assert.deepEqual(ownedPartitions(Buffer.from(userData), 'events'), [], userData);
    }
    assert.deepEqual(ownedPartitions(Buffer.from('{"v":1,"owned":{"events":[1,-1,2.5,"3",4]}}'), 'events'), [1, 4]);
  });
});
