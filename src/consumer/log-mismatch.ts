/** Offsets `[from, to)` of a partition. */
export interface OffsetRange {
  from: string;
  to: string;
}

/** Why a partition's stored offset cannot belong to the log the consumer reads. */
export type LogMismatch =
  /** The offsets were stored reading another Kafka cluster (a migration, a disaster-recovery failover). */
  | { code: 'other_cluster'; storedClusterId: string; clusterId: string }
  /** The stored offset lies past the log's end: the topic was deleted and recreated, or another cluster took its name. */
  | { code: 'past_log_end'; storedOffset: string; logEnd: string };

/** One line for the log and /readyz: what is wrong, and where the README says what to do. */
export function describeLogMismatch(partition: number, mismatch: LogMismatch): string {
  const what =
    mismatch.code === 'other_cluster'
      ? `its stored offset was read from Kafka cluster ${mismatch.storedClusterId}, but the brokers are cluster ${mismatch.clusterId}`
      : `its stored offset ${mismatch.storedOffset} lies past the log's end ${mismatch.logEnd}: the topic was recreated, or is another cluster's`;
  return `partition ${partition} blocked: ${what}; nothing of it is read or skipped until its offset is moved (README, "Delivery guarantees": the topic or the cluster changed)`;
}
