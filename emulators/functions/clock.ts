/**
 * Host time. Real mode follows the wall clock; virtual mode only moves when told to (or, with auto-advance,
 * when the host is idle and something is waiting for a later time). Everything time-driven in the host
 * (durable timers, timer triggers) is a `DueItem` in one queue ordered by due time.
 */
export interface HostClock {
  readonly mode: 'real' | 'virtual';
  now(): number;
  /** Virtual mode only: move time forward by `ms`, firing everything due in order, then wait until idle. */
  advanceBy(ms: number): Promise<void>;
  /** Virtual mode only: move time to `epochMs` (never backwards), firing everything due in order. */
  advanceTo(epochMs: number): Promise<void>;
  /** Virtual mode only: when on (default), an idle host jumps to the next due timer by itself. */
  setAutoAdvance(on: boolean): void;
}

export interface DueItem {
  readonly dueAt: number;
  readonly fire: () => void;
  /** Lets a group of items (e.g. one instance's timers) be dropped together. */
  readonly owner: string;
  /** What the item is, for logs and tests: a durable timer or a timer-trigger occurrence. */
  readonly kind: 'durable' | 'trigger';
}

/** Longest delay setTimeout accepts; longer waits re-arm. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export class DueQueue {
  #items: DueItem[] = [];
  #realTimer: NodeJS.Timeout | undefined;
  #sequence = 0;
  readonly #order = new WeakMap<DueItem, number>();

  constructor(
    private readonly clock: { mode: 'real' | 'virtual'; now(): number },
    private readonly onItemsDue: () => void,
  ) {}

  add(item: DueItem): void {
    this.#order.set(item, this.#sequence++);
    // Keep sorted by (dueAt, insertion order); inserts are rare compared to pops, so a binary insert is enough.
    let low = 0;
    let high = this.#items.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const other = this.#items[middle]!;
      if (other.dueAt <= item.dueAt) low = middle + 1;
      else high = middle;
    }
    this.#items.splice(low, 0, item);
    this.#armRealTimer();
  }

  dropOwner(owner: string): void {
    this.#items = this.#items.filter((item) => item.owner !== owner);
    this.#armRealTimer();
  }

  earliest(kind?: DueItem['kind']): number | undefined {
    if (kind === undefined) return this.#items[0]?.dueAt;
    return this.#items.find((item) => item.kind === kind)?.dueAt;
  }

  get size(): number {
    return this.#items.length;
  }

  /** Fires (synchronously, in due order) every item due at or before `at`. */
  fireDue(at: number): number {
    let fired = 0;
    while (this.#items.length > 0 && this.#items[0]!.dueAt <= at) {
      const item = this.#items.shift()!;
      fired++;
      item.fire();
    }
    this.#armRealTimer();
    return fired;
  }

  stop(): void {
    if (this.#realTimer) clearTimeout(this.#realTimer);
    this.#realTimer = undefined;
    this.#items = [];
  }

  #armRealTimer(): void {
    if (this.clock.mode !== 'real') return;
    if (this.#realTimer) clearTimeout(this.#realTimer);
    this.#realTimer = undefined;
    const next = this.earliest();
    if (next === undefined) return;
    const delay = Math.min(Math.max(0, next - this.clock.now()), MAX_TIMEOUT_MS);
    this.#realTimer = setTimeout(() => {
      this.#realTimer = undefined;
      this.fireDue(this.clock.now());
      this.onItemsDue();
    }, delay);
    // A pending durable timer must not keep a CLI or test process alive on its own.
    this.#realTimer.unref();
  }
}
