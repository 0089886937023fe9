/** A group member and the partitions it owned before the rebalance, as its subscription says. */
export interface MemberClaim {
  memberId: string;
  owned: readonly number[];
}

/**
 * Assigns `partitions` to `members`: every partition to exactly one member, each member's count within 1
 * of every other's, and as many of each member's owned partitions kept as that balance allows, so a
 * rebalance moves only the partitions it must. A partition two members claim (one of them missed a
 * generation) stays with the first by member id; one that no longer exists is ignored. Deterministic:
 * the same claims give the same assignment, whichever member leads.
 */
export function stickyAssignment(members: readonly MemberClaim[], partitions: readonly number[]): Map<string, number[]> {
  const byId = [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
  const assignment = new Map<string, number[]>(byId.map(({ memberId }) => [memberId, []]));
  if (byId.length === 0) return assignment;
  const existing = new Set(partitions);
  const claimedBy = new Map<number, string>();
  for (const { memberId, owned } of byId) {
    for (const partition of owned) if (existing.has(partition) && !claimedBy.has(partition)) claimedBy.set(partition, memberId);
  }
  const claims = new Map<string, number[]>(byId.map(({ memberId }) => [memberId, []]));
  for (const [partition, memberId] of claimedBy) claims.get(memberId)?.push(partition);

  // The members that may take one more than the others are those that own the most: they keep more.
  const base = Math.floor(existing.size / byId.length);
  const larger = existing.size % byId.length;
  const capacity = new Map<string, number>();
  [...byId]
    .sort((a, b) => (claims.get(b.memberId)?.length ?? 0) - (claims.get(a.memberId)?.length ?? 0))
    .forEach(({ memberId }, rank) => capacity.set(memberId, base + (rank < larger ? 1 : 0)));

  const kept = new Set<number>();
  for (const { memberId } of byId) {
    const keep = (claims.get(memberId) ?? []).sort((a, b) => a - b).slice(0, capacity.get(memberId));
    for (const partition of keep) kept.add(partition);
    assignment.get(memberId)?.push(...keep);
  }
  const room = (memberId: string): number => (capacity.get(memberId) ?? 0) - (assignment.get(memberId)?.length ?? 0);
  for (const partition of [...existing].filter((p) => !kept.has(p)).sort((a, b) => a - b)) {
    const taker = byId.reduce((best, member) => (room(member.memberId) > room(best.memberId) ? member : best));
    assignment.get(taker.memberId)?.push(partition);
  }
  for (const owned of assignment.values()) owned.sort((a, b) => a - b);
  return assignment;
}
