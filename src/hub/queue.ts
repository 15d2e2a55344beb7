// Outgoing messages while edgeHub is unreachable: bounded, oldest dropped first, drops counted and reported.
export interface BoundedQueue<T> {
  push(item: T): void;
  /** The oldest item, without removing it (removed by `shift` once it is sent). */
  peek(): T | undefined;
  shift(): T | undefined;
  readonly length: number;
  readonly dropped: number;
}

export function createBoundedQueue<T>(capacity: number): BoundedQueue<T> {
  const items: T[] = [];
  let dropped = 0;
  return {
    push(item) {
      items.push(item);
      while (items.length > capacity) {
        items.shift();
        dropped++;
      }
    },
    peek: () => items[0],
    shift: () => items.shift(),
    get length() {
      return items.length;
    },
    get dropped() {
      return dropped;
    },
  };
}
