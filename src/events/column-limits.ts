/**
 * Longest value, in characters, that each varchar column of `todo_event_logs` holds. The migration
 * declares the same lengths; an integration test compares the two against the live table.
 */
export const columnLimits = {
  event_type: 50,
  entity: 50,
  entity_id: 100,
  group_id: 100,
  group_name: 255,
  task_id: 100,
  task_name: 255,
  user_name: 100,
  workspace: 100,
} as const;

export type LimitedColumn = keyof typeof columnLimits;
