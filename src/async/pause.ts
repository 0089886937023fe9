/** A loop's sleep that `wake()` cuts short; after `close()` every sleep ends at once. */
export class Pause {
  private wakeSleeper: (() => void) | undefined;
  private closed = false;

  get isClosed(): boolean {
    return this.closed;
  }

  for(ms: number): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        if (this.wakeSleeper === done) this.wakeSleeper = undefined;
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.wakeSleeper = done;
    });
  }

  wake(): void {
    this.wakeSleeper?.();
  }

  close(): void {
    this.closed = true;
    this.wake();
  }
}
