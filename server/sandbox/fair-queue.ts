/**
 * Waiting work grouped by organization and served round-robin, so one
 * organization's backlog never stands in front of another's. Hand-written:
 * the queues we know of (p-queue, fastq) are FIFO with one global order, and
 * the pool needs per-tenant caps, any-item matching and removal on abort.
 */
export class FairQueue<T> {
  readonly #byGroup = new Map<string, T[]>();
  /** Groups in serving order; the group served last moves to the back. */
  readonly #order: string[] = [];
  #size = 0;

  get size(): number {
    return this.#size;
  }

  sizeOf(group: string): number {
    return this.#byGroup.get(group)?.length ?? 0;
  }

  push(group: string, item: T): void {
    let items = this.#byGroup.get(group);
    if (!items) {
      items = [];
      this.#byGroup.set(group, items);
      this.#order.push(group);
    }
    items.push(item);
    this.#size += 1;
  }

  remove(group: string, item: T): boolean {
    const items = this.#byGroup.get(group);
    const index = items?.indexOf(item) ?? -1;
    if (!items || index < 0) return false;
    items.splice(index, 1);
    this.#size -= 1;
    if (items.length === 0) this.#drop(group);
    return true;
  }

  /**
   * The first item, taking groups in turn, that `accept` takes; it leaves the
   * queue and its group goes to the back of the order. Within a group, items
   * keep their order, but one the caller cannot place yet does not block the rest.
   */
  take(accept: (item: T, group: string) => boolean): T | undefined {
    for (const group of [...this.#order]) {
      const items = this.#byGroup.get(group) ?? [];
      const index = items.findIndex((item) => accept(item, group));
      if (index < 0) continue;
      const [item] = items.splice(index, 1);
      this.#size -= 1;
      this.#drop(group);
      if (items.length > 0) {
        this.#byGroup.set(group, items);
        this.#order.push(group);
      }
      return item;
    }
    return undefined;
  }

  /** Every item, in serving order, leaving the queue empty. */
  drain(): T[] {
    const all = this.#order.flatMap((group) => this.#byGroup.get(group) ?? []);
    this.#byGroup.clear();
    this.#order.length = 0;
    this.#size = 0;
    return all;
  }

  *items(): Iterable<T> {
    for (const group of this.#order) yield* this.#byGroup.get(group) ?? [];
  }

  #drop(group: string): void {
    this.#byGroup.delete(group);
    const at = this.#order.indexOf(group);
    if (at >= 0) this.#order.splice(at, 1);
  }
}
