// Cancellation for the steps of one run. Every step (a lookup, a query, a connect, a handshake) listens for
// the run's abort while it is in flight. Were they all to listen on the caller's signal, a run with hundreds
// of addresses or targets would put hundreds of listeners on that one signal, and Node warns of a leak past
// ten (MaxListenersExceededWarning). So the run listens once, and its steps listen on the run's StepSignals:
// a plain set of callbacks, not an EventTarget, so a step adds and removes its listener in constant time and
// no step needs an AbortController of its own (one with a listener costs ~30 µs of CPU on Node 20; a run of
// 100 targets made 500 of them).

/** What a step needs of an abort signal. An AbortSignal is one; so is the run's StepSignals. */
export interface StepSignal {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

export class StepSignals implements StepSignal {
  private readonly parent: AbortSignal | undefined;
  private readonly listeners = new Set<() => void>();
  private readonly abortAll = () => {
    // Each listener is called once (as with `{ once: true }`), even if it removes another on the way.
    const listeners = [...this.listeners];
    this.listeners.clear();
    for (const listener of listeners) listener();
  };

  constructor(parent: AbortSignal | undefined) {
    this.parent = parent;
    parent?.addEventListener('abort', this.abortAll, { once: true });
  }

  /** The run was aborted: a step that starts now ends at once. */
  get aborted(): boolean {
    return this.parent?.aborted ?? false;
  }

  addEventListener(_type: 'abort', listener: () => void): void {
    this.listeners.add(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    this.listeners.delete(listener);
  }

  /** Steps listening now: each removes its listener when it ends. */
  get listening(): number {
    return this.listeners.size;
  }

  /** The run is over: stop listening on the caller's signal. */
  close(): void {
    this.parent?.removeEventListener('abort', this.abortAll);
  }
}
