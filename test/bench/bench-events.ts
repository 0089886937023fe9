import type { Message } from 'kafkajs';

/** Share of the stream that is deliberately bad: dead-letter traffic the consumer must handle too. */
export const badShare = 0.005;

const eventTypes = [
  ['created', 0.2],
  ['updated', 0.3],
  ['status_changed', 0.3],
  ['commented', 0.15],
  ['deleted', 0.05],
] as const;
const statuses = ['pending', 'in-progress', 'review', 'blocked', 'done'];
const words = ['login', 'billing', 'search', 'export', 'onboarding', 'dashboard', 'api', 'mobile', 'email', 'cache', 'report', 'audit'];
/** The stream's groups, and tasks per group (task ids run from 0 to groups × tasks per group − 1). */
export const benchGroupCount = 500;
export const benchTasksPerGroup = 40;
const users = Array.from({ length: 50 }, (_, i) => `user_${i}`);

/** A small deterministic PRNG (mulberry32): the same seed gives the same stream on every run. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function pick<T>(items: readonly T[], next: () => number): T {
  return items[Math.floor(next() * items.length)] as T;
}

function eventType(next: () => number): string {
  let roll = next();
  for (const [type, share] of eventTypes) {
    if (roll < share) return type;
    roll -= share;
  }
  return 'updated';
}

function badMessage(index: number): string {
  switch (index % 3) {
    case 0:
      return `{"eventType":"created","payload":{"entity":"Task"`;
    case 1:
      return JSON.stringify({ eventType: 'created', timestamp: '2025-11-10T10:00:00Z', payload: { entity: 'Task' } });
    default:
      return JSON.stringify({ eventType: 'x'.repeat(60), timestamp: '2025-11-10T10:00:00Z', payload: { entity: 'Task', entityId: 't' } });
  }
}

/** The benchmark's stream: `count` events over 500 groups and 20,000 tasks, with `badShare` bad ones. */
export function* benchEvents(count: number, seed = 42, startMs = Date.UTC(2025, 10, 1)): Generator<Message & { valid: boolean }> {
  const next = random(seed);
  for (let index = 0; index < count; index += 1) {
    const group = Math.floor(next() * benchGroupCount);
    const task = group * benchTasksPerGroup + Math.floor(next() * benchTasksPerGroup);
    if (next() < badShare) {
      yield { key: `group-${group}`, value: badMessage(index), valid: false };
      continue;
    }
    const type = eventType(next);
    const taskName = `${pick(words, next)} ${pick(words, next)} #${task}`;
    const user = pick(users, next);
    const changes =
      type === 'status_changed' ? `Status changed from ${pick(statuses, next)} to ${pick(statuses, next)}`
      : type === 'commented' ? `Comment added by ${user}: ${'looks good, '.repeat(1 + Math.floor(next() * 6))}`
      : `Task '${taskName}' was ${type}`;
    const timestamp = new Date(startMs + index * 37).toISOString();
    yield {
      key: `group-${group}`,
      value: JSON.stringify({
        eventType: type,
        timestamp,
        payload: {
          entity: 'Task',
          entityId: `task-${task}`,
          groupId: `group-${group}`,
          groupName: `Team ${pick(words, next)} ${group}`,
          taskId: `task-${task}`,
          taskName,
          changes,
          user,
          workspace: `ws-${group % 7}`,
          timestamp,
        },
      }),
      valid: true,
    };
  }
}
