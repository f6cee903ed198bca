/**
 * A small in-process cache with a time to live, read from the app's Clock: inventory reads are paced Graph calls, and
 * a console refreshing every few seconds should not spend the tenant's read budget on the same answer.
 * Per app instance (each scaled-out instance keeps its own); `clear()` drops everything at once.
 */
import type { Clock } from '../clock';

export class TtlCache<T> {
  readonly #entries = new Map<string, { value: Promise<T>; expiresAt: number }>();

  constructor(
    private readonly clock: Pick<Clock, 'now'>,
    private readonly ttlMs: number,
    private readonly maxEntries = 200,
  ) {}

  /** The cached value, or `load()`'s (shared by concurrent callers; a failed load is not kept). */
  get(key: string, load: () => Promise<T>): Promise<T> {
    const now = this.clock.now();
    const entry = this.#entries.get(key);
    if (entry && entry.expiresAt > now) return entry.value;
    const value = load();
    this.#entries.set(key, { value, expiresAt: now + this.ttlMs });
    if (this.#entries.size > this.maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
    value.catch(() => {
      if (this.#entries.get(key)?.value === value) this.#entries.delete(key);
    });
    return value;
  }

  /** When the cached value was loaded, if it is still fresh. */
  loadedAt(key: string): number | undefined {
    const entry = this.#entries.get(key);
    return entry && entry.expiresAt > this.clock.now() ? entry.expiresAt - this.ttlMs : undefined;
  }

  clear(): void {
    this.#entries.clear();
  }
}
