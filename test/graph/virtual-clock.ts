import { TEST_START_MS } from '../support/clock';

/**
 * A virtual clock for the layer's `now`/`sleep`: time only moves when every sleeper is waiting, jumping straight to
 * the earliest wake-up, so Retry-After and backoff waits cost no real time and tests stay deterministic.
 */
export class VirtualClock {
  private current: number;
  private timers: { at: number; seq: number; resolve: () => void }[] = [];
  private seq = 0;
  private scheduled = false;
  readonly sleeps: number[] = [];

  constructor(start = TEST_START_MS) {
    this.current = start;
  }

  readonly now = (): number => this.current;

  readonly sleep = (ms: number): Promise<void> => {
    this.sleeps.push(ms);
    return new Promise<void>((resolve) => {
      this.timers.push({ at: this.current + Math.max(0, ms), seq: this.seq++, resolve });
      this.schedule();
    });
  };

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // setImmediate runs after pending promise callbacks, so everyone who will sleep this turn has done so.
    setImmediate(() => {
      this.scheduled = false;
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers.shift();
      if (!next) return;
      this.current = Math.max(this.current, next.at);
      next.resolve();
      if (this.timers.length > 0) this.schedule();
    });
  }
}
