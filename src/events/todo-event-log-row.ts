/** Where a message sits in Kafka: the identity that makes storage exactly-once. */
export interface KafkaCoordinates {
  topic: string;
  partition: number;
  /** Kafka offsets are 64-bit, so they stay strings end to end. */
  offset: string;
}

/** One row of `todo_event_logs`, as the consumer writes it. Missing values are null, never ''. */
export interface TodoEventLogRow {
  timestamp: string;
  eventType: string;
  entity: string;
  entityId: string;
  groupId: string | null;
  groupName: string | null;
  taskId: string | null;
  taskName: string | null;
  changes: string | null;
  userName: string | null;
  workspace: string | null;
  /** JSON text of the fields that have no column, or null when there are none. */
  eventData: string | null;
  kafka: KafkaCoordinates;
}
