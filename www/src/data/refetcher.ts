// Coalesces refetch requests: at most one load runs at a time, a request
// made while one runs starts one more after it, and two loads start at least
// `minIntervalMs` apart. A burst of websocket events (a log appending, a
// hundred builds finishing) thus costs a few requests, not one per event.

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export class Refetcher {
  private running = false;
  private dirty = false;
  private timer: unknown = null;
  private lastStart = -Infinity;
  private cancelled = false;

  constructor(
    private readonly load: () => Promise<unknown>,
    private readonly minIntervalMs: number,
    private readonly clock: Clock = realClock,
  ) {}

  request(): void {
    if (this.cancelled) return;
    if (this.running) {
      this.dirty = true;
      return;
    }
    if (this.timer !== null) return;
    const wait = this.lastStart + this.minIntervalMs - this.clock.now();
    if (wait <= 0) {
      void this.run();
    } else {
      this.timer = this.clock.setTimeout(() => {
        this.timer = null;
        void this.run();
      }, wait);
    }
  }

  cancel(): void {
    this.cancelled = true;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  private async run(): Promise<void> {
    if (this.cancelled) return;
    this.running = true;
    this.lastStart = this.clock.now();
    try {
      await this.load();
    } catch {
      // the load reports its own errors
    } finally {
      this.running = false;
    }
    if (this.dirty) {
      this.dirty = false;
      this.request();
    }
  }
}
