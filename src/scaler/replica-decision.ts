/** What the scaler compares on each reconcile. */
export interface ReplicaInputs {
  topic: string;
  partitions: number;
  currentReplicas: number;
  minReplicas: number;
  maxReplicas: number;
}

/** The replicas the Deployment should have, whether that is a change, and why, in words for an Event. */
export interface ReplicaDecision {
  desiredReplicas: number;
  change: boolean;
  reason: string;
}

/** The partition count, brought within [minReplicas, maxReplicas]. */
export function clampReplicas(partitions: number, minReplicas: number, maxReplicas: number): number {
  return Math.min(maxReplicas, Math.max(minReplicas, partitions));
}

function partitionCount(partitions: number): string {
  return partitions === 1 ? '1 partition' : `${partitions} partitions`;
}

/**
 * One replica per partition, never more (a group member beyond the partition count sits idle), within
 * the configured minimum and maximum.
 */
export function decideReplicas({ topic, partitions, currentReplicas, minReplicas, maxReplicas }: ReplicaInputs): ReplicaDecision {
  const desiredReplicas = clampReplicas(partitions, minReplicas, maxReplicas);
  const counted = `topic ${topic} has ${partitionCount(partitions)}`;
  const reason =
    desiredReplicas < partitions ? `${counted}; capped at the maximum of ${maxReplicas} replicas`
    : desiredReplicas > partitions ? `${counted}; raised to the minimum of ${minReplicas} replicas`
    : counted;
  return { desiredReplicas, change: desiredReplicas !== currentReplicas, reason };
}
