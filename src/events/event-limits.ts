/** Bounds on one message, so that no value can exhaust the stack, the heap, a column or the chunk count. */
export interface EventLimits {
  /** Largest message value accepted, in bytes; a larger one is dead-lettered as `too_large`. */
  maxBytes: number;
  /** Deepest nesting of objects and arrays accepted; a deeper one is dead-lettered as `too_deep`. */
  maxDepth: number;
  /**
   * Most days an event's time may lie from its record's timestamp; a time further away falls back as an
   * invalid one does (kept in `event_data`). 0: any distance, each far day a TimescaleDB chunk of its own.
   */
  maxTimeSkewDays: number;
}

export const defaultEventLimits: EventLimits = { maxBytes: 1_048_576, maxDepth: 64, maxTimeSkewDays: 0 };
