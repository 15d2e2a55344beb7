// Event-driven waiting: a predicate is re-checked each time the emulator's state changes (a message, a twin
// request, a connection, a subscription...), never by polling, and the wait fails after a bounded time.

/** A predicate "holds" when it returns anything but undefined, null or false. */
export type Predicate<T> = () => T | undefined | null | false;

export class Waiters {
  private readonly checks = new Set<() => void>();
  private readonly rejecters = new Set<(reason: Error) => void>();

  /** Re-evaluates every pending predicate; call after each state change. */
  notify(): void {
    for (const check of [...this.checks]) check();
  }

  waitFor<T>(predicate: Predicate<T>, timeoutMs: number, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const settle = (outcome: () => void): void => {
        clearTimeout(timer);
        this.checks.delete(check);
        this.rejecters.delete(rejectOnClose);
        outcome();
      };
      const check = (): void => {
        let value: T | undefined | null | false;
        try {
          value = predicate();
        } catch (err) {
          settle(() => reject(err));
          return;
        }
        if (value !== undefined && value !== null && value !== false) settle(() => resolve(value));
      };
      const rejectOnClose = (reason: Error): void => settle(() => reject(reason));
      const timer = setTimeout(
        () => settle(() => reject(new Error(`emulator: ${what} did not happen within ${timeoutMs} ms`))),
        timeoutMs,
      );
      this.checks.add(check);
      this.rejecters.add(rejectOnClose);
      check();
    });
  }

  /** Fails every pending wait (the emulator is closing and nothing can satisfy them any more). */
  rejectAll(reason: Error): void {
    for (const reject of [...this.rejecters]) reject(reason);
  }
}
