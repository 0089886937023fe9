/** Bounds on one message, so that no value can exhaust the stack, the heap or a column. */
export interface EventLimits {
  /** Largest message value accepted, in bytes; a larger one is dead-lettered as `too_large`. */
  maxBytes: number;
  /** Deepest nesting of objects and arrays accepted; a deeper one is dead-lettered as `too_deep`. */
  maxDepth: number;
}

export const defaultEventLimits: EventLimits = { maxBytes: 1_048_576, maxDepth: 64 };
