/** The reference's example events: a group, a task in it, its status change, a comment, its deletion. */
export const groupId = 'a1b2c3d4-e5f6-4789-a0b1-c2d3e4f56789';
export const taskId = 'f47ac10b-58cc-4372-a567-0e02b2c3d479';

export const sampleEvents = [
  {
    eventType: 'created',
    timestamp: '2025-11-10T10:00:00Z',
    payload: {
      entity: 'Group',
      entityId: groupId,
      groupId,
      groupName: 'Project Alpha',
      taskId: null,
      taskName: null,
      changes: "Group 'Project Alpha' was created",
      user: 'alice',
      workspace: 'default',
      timestamp: '2025-11-10T10:00:00Z',
    },
  },
  {
    eventType: 'created',
    timestamp: '2025-11-10T15:30:45.123Z',
    payload: {
      entity: 'Task',
      entityId: taskId,
      groupId,
      groupName: 'Project Alpha',
      taskId,
      taskName: 'Implement user authentication',
      changes: "Task 'Implement user authentication' was created",
      user: 'john_doe',
      workspace: 'default',
      timestamp: '2025-11-10T15:30:45.123Z',
    },
  },
  {
    eventType: 'status_changed',
    timestamp: '2025-11-10T16:30:00Z',
    payload: {
      entity: 'Task',
      entityId: taskId,
      groupId,
      groupName: 'Project Alpha',
      taskId,
      taskName: 'Implement user authentication',
      changes: 'Status changed from pending to in-progress',
      user: 'bob',
      workspace: 'default',
      timestamp: '2025-11-10T16:30:00Z',
    },
  },
  {
    eventType: 'commented',
    timestamp: '2025-11-10T17:05:12.5Z',
    payload: {
      entity: 'Task',
      entityId: taskId,
      groupId,
      groupName: 'Project Alpha',
      taskName: 'Implement user authentication',
      changes: 'Comment added by bob',
      user: 'bob',
      workspace: 'default',
      comment: 'Login works with SSO too',
    },
  },
  {
    eventType: 'deleted',
    timestamp: '2025-11-10T18:00:00Z',
    payload: {
      entity: 'Task',
      entityId: taskId,
      groupId,
      groupName: 'Project Alpha',
      taskName: 'Implement user authentication',
      changes: "Task 'Implement user authentication' was deleted",
      user: 'alice',
      workspace: '',
    },
  },
];
