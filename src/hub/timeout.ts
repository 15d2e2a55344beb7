// Every SDK call is bounded: a twin call in flight during a disconnect never settles (azure-iot-sdk-node
// defects 1 and 2), so a hang has to become an error the connection can act on.
export class HubTimeoutError extends Error {
  constructor(
    readonly operation: string,
    readonly ms: number,
  ) {
    super(`${operation} did not complete within ${ms} ms`);
    this.name = 'HubTimeoutError';
  }
}

export function withTimeout<T>(promise: Promise<T>, ms: number, operation: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HubTimeoutError(operation, ms)), ms);
  });
  // A late rejection of the abandoned call must not become an unhandled rejection.
  promise.catch(() => undefined);
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
