/**
 * Bounded FIFO that drops the OLDEST item when full and counts what it dropped. The live trace to the
 * UI is lossy by design (architecture.md, "Real time"): a slow consumer loses old frames, never blocks
 * acquisition, and is told how many it lost.
 */
export class LossyQueue<T> {
  private readonly items: (T | undefined)[];
  private head = 0;
  private size = 0;
  private droppedTotal = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`queue capacity must be a positive integer, got ${capacity}`);
    this.items = new Array<T | undefined>(capacity);
  }

  get length(): number {
    return this.size;
  }

  /** Items dropped since creation. */
  get dropped(): number {
    return this.droppedTotal;
  }

  push(item: T): void {
    if (this.size === this.capacity) {
      this.items[this.head] = undefined;
      this.head = (this.head + 1) % this.capacity;
      this.size--;
      this.droppedTotal++;
    }
    this.items[(this.head + this.size) % this.capacity] = item;
    this.size++;
  }

  shift(): T | undefined {
    if (this.size === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) % this.capacity;
    this.size--;
    return item;
  }

  clear(): void {
    this.items.fill(undefined);
    this.head = 0;
    this.size = 0;
  }
}
