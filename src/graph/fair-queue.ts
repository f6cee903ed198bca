/**
 * Deficit round robin over flows (Shreedhar and Varghese's DRR): each flow keeps its own first-come-first-served
 * queue, and flows with something waiting take turns, each turn worth `quantum` units. A flow that asks for a lot
 * (a 100,000-user plan) therefore never makes a small flow wait behind all of it: between two of its requests every
 * other flow gets a turn. A request bigger than the quantum waits until its flow has saved up enough turns.
 */
interface FlowQueue<T> {
  items: T[];
  deficit: number;
  /** The quantum for the current turn has been added. */
  inTurn: boolean;
}

export class FairQueue<T> {
  private readonly flows = new Map<string, FlowQueue<T>>();
  /** Flows with something waiting, in turn order. */
  private readonly active: string[] = [];
  private cursor = 0;
  private count = 0;

  constructor(
    private readonly quantum: number,
    private readonly unitsOf: (item: T) => number,
  ) {}

  get size(): number {
    return this.count;
  }

  push(flow: string, item: T): void {
    let queue = this.flows.get(flow);
    if (!queue) {
      queue = { items: [], deficit: 0, inTurn: false };
      this.flows.set(flow, queue);
    }
    if (queue.items.length === 0) this.active.push(flow);
    queue.items.push(item);
    this.count += 1;
  }

  /** Takes an item out of its queue (a caller gave up); false when it is not queued. */
  remove(flow: string, item: T): boolean {
    const queue = this.flows.get(flow);
    const index = queue?.items.indexOf(item) ?? -1;
    if (!queue || index < 0) return false;
    queue.items.splice(index, 1);
    this.count -= 1;
    if (queue.items.length === 0) this.retire(flow);
    return true;
  }

  /** The next item to serve, by deficit round robin. */
  shift(): { flow: string; item: T } | undefined {
    while (this.active.length > 0) {
      if (this.cursor >= this.active.length) this.cursor = 0;
      const flow = this.active[this.cursor] as string;
      const queue = this.flows.get(flow) as FlowQueue<T>;
      const head = queue.items[0] as T;
      if (!queue.inTurn) {
        queue.deficit += this.quantum;
        queue.inTurn = true;
      }
      const units = Math.max(0, this.unitsOf(head));
      if (units <= queue.deficit) {
        queue.deficit -= units;
        queue.items.shift();
        this.count -= 1;
        if (queue.items.length === 0) this.retire(flow);
        return { flow, item: head };
      }
      // Not enough left in this turn: the next flow's turn (this one keeps its deficit for the next round).
      queue.inTurn = false;
      this.cursor += 1;
    }
    return undefined;
  }

  /** A flow with nothing waiting leaves the rotation and keeps no credit (DRR's rule: idle time is not banked). */
  private retire(flow: string): void {
    const index = this.active.indexOf(flow);
    if (index >= 0) {
      this.active.splice(index, 1);
      if (index < this.cursor) this.cursor -= 1;
    }
    this.flows.delete(flow);
  }
}
