/** Seeded pseudo-random numbers (mulberry32): the same seed gives the same latencies, faults and tenants. */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(maxExclusive: number): number {
    return Math.floor(this.next() * maxExclusive);
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }

  /** Standard normal deviate (Box–Muller). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /**
   * A version-4-shaped GUID drawn from this generator. Built from an array and joined once, so the result is a flat
   * string: concatenated (rope) strings make every Map lookup by id slow at 100,000 users.
   */
  uuid(): string {
    const chars: string[] = [];
    for (let w = 0; w < 4; w++) {
      const word = Math.floor(this.next() * 4294967296);
      for (let shift = 28; shift >= 0; shift -= 4) chars.push(HEX[(word >>> shift) & 0xf] as string);
    }
    chars[12] = '4';
    chars[16] = HEX[(parseInt(chars[16] ?? '0', 16) & 0x3) | 0x8] as string;
    chars.splice(20, 0, '-');
    chars.splice(16, 0, '-');
    chars.splice(12, 0, '-');
    chars.splice(8, 0, '-');
    return chars.join('');
  }
}

const HEX = '0123456789abcdef';

/** Fisher–Yates shuffle in place. */
export function shuffleInPlace<T>(items: T[], random: SeededRandom): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    const a = items[i] as T;
    items[i] = items[j] as T;
    items[j] = a;
  }
  return items;
}
