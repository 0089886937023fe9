/**
 * The scaler's two clocks. Durations (lease expiry, renew deadline, request budgets) are measured on
 * the monotonic one, as client-go does: a step of the wall clock (NTP, a VM resume) must neither stretch
 * nor cut a leadership. The wall clock only stamps what humans read: a Lease's times, an Event's.
 */
export interface Clock {
  /** Milliseconds from an arbitrary origin; never goes back. */
  monotonicMs(): number;
  /** Milliseconds since the epoch; may jump either way. */
  wallMs(): number;
}

export const systemClock: Clock = {
  monotonicMs: () => performance.now(),
  wallMs: () => Date.now(),
};
