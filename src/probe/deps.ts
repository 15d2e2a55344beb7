// What the engine needs from the outside world, injected so unit tests need no network and no clock.
// `realDeps()` gives the production wiring; tests pass their own lookup, clock or connector.
import dns from 'node:dns';
import net from 'node:net';

/** The system resolver (getaddrinfo): every address of both families, in the order it returns them. */
export type SystemLookup = (hostname: string) => Promise<Array<{ address: string; family: number }>>;

/** Opens a TCP connection; `net.connect` in production. */
export type TcpConnect = (options: { host: string; port: number }) => net.Socket;

export interface ProbeDeps {
  /** Milliseconds since the epoch. */
  now: () => number;
  /** A monotonic millisecond clock for durations. */
  elapsed: () => number;
  lookup: SystemLookup;
  connect: TcpConnect;
}

/** getaddrinfo calls not yet returned, counting those our step timer already gave up on (see `src/exit.ts`). */
let systemLookups = 0;
export const systemLookupsInFlight = (): number => systemLookups;

export function realDeps(): ProbeDeps {
  return {
    now: () => Date.now(),
    elapsed: () => performance.now(),
    lookup: (hostname) => {
      systemLookups++;
      return dns.promises.lookup(hostname, { all: true, verbatim: true }).finally(() => systemLookups--);
    },
    connect: (options) => net.connect(options),
  };
}
