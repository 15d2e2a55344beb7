// The benchmark's side of the fixture process: forks it, sends plans and commands, and hands back what
// the probe needs (targets, settings, the DNS server's address). Every request is bounded in time.
import { fork, type ChildProcess } from 'node:child_process';
import type { Behaviour } from '../test/support/dns-server.js';
import type { LandscapeInfo, LandscapePlan, Reply, Request } from './fixture-protocol.js';

export interface RemoteLandscape extends LandscapeInfo {
  setBehaviour(names: string[], behaviour: Behaviour): Promise<void>;
  /** Well-formed queries the landscape's DNS server has received so far. */
  queries(): Promise<number>;
}

export interface Fixtures {
  start(plan: LandscapePlan): Promise<RemoteLandscape>;
  /** Disconnects; the fixture process closes its servers and exits. */
  close(): Promise<void>;
}

/** Building 100 targets × 3 endpoints (certificates included) takes a few seconds; anything else is instant. */
const REQUEST_TIMEOUT_MS = 60_000;

export function startFixtures(): Fixtures {
  const child: ChildProcess = fork(new URL('./fixture-process.js', import.meta.url), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 1;
  const failAll = (error: Error) => {
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  };
  child.on('message', (reply: Reply) => {
    const p = pending.get(reply.id);
    pending.delete(reply.id);
    if (reply.ok) p?.resolve(reply.value);
    else p?.reject(new Error(`fixture process: ${reply.error}`));
  });
  child.on('exit', (code) => failAll(new Error(`fixture process exited (${code})`)));

  function request<T>(body: Request): Promise<T> {
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`fixture process: no reply to ${body.op} within ${REQUEST_TIMEOUT_MS} ms`));
      }, REQUEST_TIMEOUT_MS);
      pending.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value as T);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      child.send({ id, ...body });
    });
  }

  return {
    async start(plan) {
      const info = await request<LandscapeInfo>({ op: 'start', plan });
      return {
        ...info,
        setBehaviour: async (names, behaviour) => {
          await request({ op: 'behaviour', prefix: plan.prefix, names, behaviour });
        },
        queries: () => request<number>({ op: 'queries', prefix: plan.prefix }),
      };
    },
    close() {
      if (child.exitCode !== null) return Promise.resolve();
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.disconnect();
      // The child closes its servers and exits on disconnect; a kill is the bound, not the plan.
      const kill = setTimeout(() => child.kill(), 10_000);
      return exited.finally(() => clearTimeout(kill));
    },
  };
}
