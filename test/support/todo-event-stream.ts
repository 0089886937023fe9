import type { Message } from 'kafkajs';

const eventTypes = ['created', 'updated', 'status_changed', 'commented', 'deleted'] as const;

/** The `index`-th event of a deterministic stream over many groups and tasks, keyed by group. */
export function todoEvent(index: number, runId = 'run'): Message {
  const group = `group-${index % 37}`;
  const task = `task-${index % 211}`;
  const eventType = eventTypes[index % eventTypes.length] ?? 'updated';
  return {
    key: group,
    value: JSON.stringify({
      eventType,
      timestamp: new Date(Date.UTC(2025, 10, 10) + index * 1_000).toISOString(),
      payload: {
        entity: 'Task',
        entityId: task,
        groupId: group,
        groupName: `Group ${index % 37}`,
        taskId: task,
        taskName: `Task ${index % 211}`,
        changes: `${eventType} #${index} (${runId})`,
        user: `user-${index % 13}`,
        workspace: 'default',
      },
    }),
  };
}

export function todoEvents(from: number, count: number, runId?: string): Message[] {
  return Array.from({ length: count }, (_, i) => todoEvent(from + i, runId));
}
