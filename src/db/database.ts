import type { ColumnType, Generated } from 'kysely';

/** `todo_event_logs`: the Go service's columns plus the Kafka coordinates that make storage exactly-once. */
export interface TodoEventLogsTable {
  id: Generated<number>;
  /** Written as RFC 3339 text so PostgreSQL keeps microseconds; read back as a Date. */
  timestamp: ColumnType<Date, string, string>;
  event_type: string;
  entity: string;
  entity_id: string;
  group_id: string | null;
  group_name: string | null;
  task_id: string | null;
  task_name: string | null;
  changes: string | null;
  user_name: string | null;
  workspace: string | null;
  event_data: ColumnType<unknown, string | null, string | null> | null;
  /** Null only on rows the Go service stored before this service took over. */
  kafka_topic: string | null;
  kafka_partition: number | null;
  /** bigint: pg returns it as a string to keep all 64 bits. */
  kafka_offset: ColumnType<string | null, string, string>;
}

/**
 * `todo_event_log_offsets`: per partition, the offset of the next record to store, advanced in the
 * same transaction as the partition's rows.
 */
export interface TodoEventLogOffsetsTable {
  kafka_topic: string;
  kafka_partition: number;
  /** bigint, as a string. */
  next_offset: string;
  updated_at: Generated<Date>;
  /** The Kafka cluster the offset was read from; null for offsets stored before it was recorded. */
  kafka_cluster_id: string | null;
}

/**
 * `todo_group_activity_daily`: per UTC day, group id and name, the events and the latest timestamp.
 * A table kept by triggers on plain PostgreSQL, a continuous aggregate on TimescaleDB (README, "Summaries").
 */
export interface TodoGroupActivityDailyTable {
  day: Date;
  group_id: string;
  group_name: string | null;
  /** bigint: pg returns it as a string. */
  log_count: string;
  last_activity: Date;
}

/** `todo_task_activity_daily`: the same per UTC day, group id, task id and name; a continuous aggregate, on TimescaleDB only. */
export interface TodoTaskActivityDailyTable {
  day: Date;
  group_id: string;
  task_id: string;
  task_name: string | null;
  log_count: string;
  last_activity: Date;
}

/** `todo_group_activity_hourly`: the same per UTC hour (README, "Summaries"). */
export interface TodoGroupActivityHourlyTable extends Omit<TodoGroupActivityDailyTable, 'day'> {
  hour: Date;
}

/** `todo_task_activity_hourly`: the task summary per UTC hour; a continuous aggregate, on TimescaleDB only. */
export interface TodoTaskActivityHourlyTable extends Omit<TodoTaskActivityDailyTable, 'day'> {
  hour: Date;
}

/** The schema as Kysely sees it. */
export interface Database {
  todo_event_logs: TodoEventLogsTable;
  todo_event_log_offsets: TodoEventLogOffsetsTable;
  todo_group_activity_daily: TodoGroupActivityDailyTable;
  todo_task_activity_daily: TodoTaskActivityDailyTable;
  todo_group_activity_hourly: TodoGroupActivityHourlyTable;
  todo_task_activity_hourly: TodoTaskActivityHourlyTable;
}
