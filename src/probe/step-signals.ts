// Cancellation for the steps of one run. Every step (a lookup, a query, a connect, a handshake) listens for
// the run's abort while it is in flight. Were they all to listen on the caller's signal, a run with hundreds
// of addresses or targets would put hundreds of listeners on that one signal, and Node warns of a leak past
// ten (MaxListenersExceededWarning). So the run listens once, and hands each step a signal of its own that
// is forgotten when the step ends: no signal ever has more listeners than one step adds.
export class StepSignals {
  private readonly parent: AbortSignal | undefined;
  private readonly live = new Set<AbortController>();
  private readonly abortAll = () => {
    for (const controller of this.live) controller.abort(this.parent?.reason);
  };

  constructor(parent: AbortSignal | undefined) {
    this.parent = parent;
    parent?.addEventListener('abort', this.abortAll, { once: true });
  }

  /** Runs `step` with a signal of its own, aborted with the run's. */
  async run<T>(step: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    if (this.parent?.aborted) controller.abort(this.parent.reason);
    this.live.add(controller);
    try {
      return await step(controller.signal);
    } finally {
      this.live.delete(controller);
    }
  }

  /** The run is over: stop listening on the caller's signal. */
  close(): void {
    this.parent?.removeEventListener('abort', this.abortAll);
  }
}
