import kafkajs, { type PartitionAssigner } from 'kafkajs';
import { stickyAssignment, type MemberClaim } from '../consumer/sticky-assignment.js';

// Not among the names Node detects as named exports of kafkajs' CommonJS module.
const { AssignerProtocol } = kafkajs;

/** The protocol name members agree on; a member that does not list it makes the group use RoundRobinAssigner. */
export const stickyAssignerName = 'TodoHistorySticky';
const userDataVersion = 1;

/** The partitions a member owns, per topic, as its subscription's user data carries them: `{"v":1,"owned":{"topic":[0,3]}}`. */
function encodeOwned(owned: Record<string, readonly number[]>): Buffer {
  return Buffer.from(JSON.stringify({ v: userDataVersion, owned }));
}

/** The member's owned partitions of `topic`; none when its user data is empty, of another format or version. */
export function ownedPartitions(userData: Buffer, topic: string): number[] {
  if (userData.length === 0) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(userData.toString('utf8'));
  } catch {
    return [];
  }
  if (typeof parsed !== 'object' || parsed === null || !('v' in parsed) || parsed.v !== userDataVersion || !('owned' in parsed)) return [];
  const { owned } = parsed;
  if (typeof owned !== 'object' || owned === null || !(topic in owned)) return [];
  const partitions: unknown = (owned as Record<string, unknown>)[topic];
  return Array.isArray(partitions) ? partitions.filter((p): p is number => Number.isSafeInteger(p) && p >= 0) : [];
}

/**
 * A kafkajs partition assigner that keeps partitions with the member that owns them (stickyAssignment):
 * each member's subscription carries the partitions it owns now (`currentlyOwned`), and the leader
 * balances the group moving as few as it can. kafkajs' protocol is eager: every member still stops all
 * its partitions at a rebalance; what stickiness saves is the reads and the seek of a partition that
 * comes back (see PartitionPositions.startAssigned) and the fetch from a new leader's point of view.
 * The consumer lists it before kafkajs' RoundRobinAssigner, so a group with an older build (which lists
 * only RoundRobinAssigner) keeps working with round robin until the last older member has left.
 */
export function stickyPartitionAssigner(currentlyOwned: () => Record<string, readonly number[]>): PartitionAssigner {
  return ({ cluster }) => ({
    name: stickyAssignerName,
    version: 0,
    async assign({ members, topics }) {
      // Every member listing this protocol encoded its subscription with it; one kafkajs reads as null subscribes to every topic and owns nothing.
      const subscriptions = members.map(({ memberId, memberMetadata }) => {
        const metadata = AssignerProtocol.MemberMetadata.decode(memberMetadata);
        return { memberId, topics: metadata?.topics ?? topics, userData: metadata?.userData ?? Buffer.alloc(0) };
      });
      const perMember = new Map<string, Record<string, number[]>>(members.map(({ memberId }) => [memberId, {}]));
      for (const topic of topics) {
        const partitions = cluster.findTopicPartitionMetadata(topic).map((metadata) => metadata.partitionId);
        const claims: MemberClaim[] = subscriptions
          .filter((subscription) => subscription.topics.includes(topic))
          .map((subscription) => ({ memberId: subscription.memberId, owned: ownedPartitions(subscription.userData, topic) }));
        for (const [memberId, assigned] of stickyAssignment(claims, partitions)) {
          const assignment = perMember.get(memberId);
          if (assignment !== undefined) assignment[topic] = assigned;
        }
      }
      return [...perMember].map(([memberId, assignment]) => ({
        memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 0, assignment, userData: Buffer.alloc(0) }),
      }));
    },
    protocol({ topics }) {
      return { name: stickyAssignerName, metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: encodeOwned(currentlyOwned()) }) };
    },
  });
}
