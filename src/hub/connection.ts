// The module's link to edgeHub, kept alive against every SDK defect in azure-facts.md:
// - open() is retried here with capped, jittered backoff (the SDK gives up at once: defect 3);
// - every twin call and send has a timeout; a hang or failure closes the client and makes a new one, which
//   re-reads the whole twin (defects 1 and 2: lost subscriptions, calls that never settle);
// - the SDK's own silent reconnection is off: a lost connection ends the session at once, and the new
//   client re-reads the whole twin, so nothing rests on the subscriptions the SDK restores (defect 1);
// - malformed JSON from the broker is caught in the SDK's twin parser and also leads to a new client (defect 6);
// - reported patches and output messages wait while disconnected and go out in order once connected.
import type { Logger } from 'pino';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import { guardTwinParser } from './malformed.js';
import { createBoundedQueue } from './queue.js';
import {
  closeClient,
  createModuleClient,
  getTwin,
  onMethod,
  openClient,
  sendOutput,
  updateReported,
  type JsonObject,
  type MethodHandler,
  type ModuleClient,
  type ModuleTwin,
  type OutgoingMessage,
} from './sdk.js';
import { combinePatches } from './patches.js';
import { withTimeout } from './timeout.js';

export type HubState = 'connecting' | 'connected' | 'disconnected' | 'closed';

export interface HubHandlers {
  /** The whole twin, after every (re)connect: desired with its `$version`, and reported. */
  onTwin(desired: JsonObject, reported: JsonObject): void | Promise<void>;
  onDesiredPatch(patch: JsonObject): void | Promise<void>;
  methods: Record<string, MethodHandler>;
}

export interface HubOptions {
  modelId: string;
  twinTimeoutMs: number;
  openTimeoutMs: number;
  sendTimeoutMs: number;
  queueCapacity: number;
  backoff: BackoffOptions;
  log: Logger;
  now?: () => number;
}

export const DEFAULT_HUB_OPTIONS = {
  twinTimeoutMs: 10_000,
  openTimeoutMs: 30_000,
  sendTimeoutMs: 15_000,
  queueCapacity: 500,
  backoff: { baseMs: 1_000, capMs: 60_000 },
} as const;

interface Session {
  client: ModuleClient;
  twin?: ModuleTwin;
  end: (reason: string) => void;
  ended: Promise<string>;
  isEnded: boolean;
}

export class HubConnection {
  private current: Session | undefined;
  private closing = false;
  private pendingReported: JsonObject | undefined;
  private readonly queue;
  private flushing: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private loopDone: Promise<void> | undefined;
  private stateValue: HubState = 'disconnected';
  lastContactAt: number | undefined;
  connects = 0;

  constructor(
    private readonly handlers: HubHandlers,
    private readonly options: HubOptions,
  ) {
    this.queue = createBoundedQueue<{ output: string; message: OutgoingMessage }>(options.queueCapacity);
    guardTwinParser((error) => this.current?.end(`malformed twin message from edgeHub: ${error.message}`));
  }

  get state(): HubState {
    return this.stateValue;
  }
  get queued(): number {
    return this.queue.length;
  }
  get dropped(): number {
    return this.queue.dropped;
  }

  start(): void {
    this.loopDone ??= this.loop();
  }

  /** Merged into what is still unsent (later values win, `null` deletes) and written when connected. */
  updateReported(patch: JsonObject): void {
    this.pendingReported = combinePatches(this.pendingReported, patch);
    void this.flush();
  }

  sendMessage(output: string, message: OutgoingMessage): void {
    this.queue.push({ output, message });
    void this.flush();
  }

  /** Stop reconnecting; flush what waits if connected (within `graceMs`); close the client. */
  async close(graceMs: number): Promise<void> {
    this.closing = true;
    this.wake?.();
    if (this.stateValue === 'connected') await withTimeout(this.flush(), graceMs, 'final flush').catch((e) => this.options.log.warn({ err: e }, 'final flush incomplete'));
    this.current?.end('closing');
    await this.loopDone;
    this.setState('closed');
  }

  private setState(state: HubState): void {
    if (this.stateValue === state) return;
    this.stateValue = state;
    this.options.log.info({ state }, `edgeHub connection ${state}`);
  }

  private async loop(): Promise<void> {
    let attempt = 0;
    while (!this.closing) {
      this.setState('connecting');
      try {
        const reason = await this.session(() => (attempt = 0));
        this.options.log.warn({ reason }, 'edgeHub session ended; recreating the client');
      } catch (e) {
        this.options.log.warn({ err: e, attempt }, 'edgeHub connection failed');
      }
      await this.dispose();
      if (this.closing) break;
      this.setState('disconnected');
      await this.sleep(backoffDelay(attempt++, this.options.backoff));
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** One client's life: create, open, read the twin, then serve until something ends it. */
  private async session(onConnected: () => void): Promise<string> {
    const { twinTimeoutMs, openTimeoutMs, log } = this.options;
    const client = await withTimeout(createModuleClient(this.options.modelId), openTimeoutMs, 'create client');
    let resolveEnded!: (reason: string) => void;
    const ended = new Promise<string>((resolve) => (resolveEnded = resolve));
    const end = (reason: string) => {
      session.isEnded = true;
      resolveEnded(reason);
    };
    const session: Session = { client, end, ended, isEnded: false };
    this.current = session;
    if (this.closing) end('closing');
    client.on('error', (e: Error) => end(`client error: ${e.message}`));
    client.on('disconnect', () => end('disconnected'));
    await withTimeout(openClient(client), openTimeoutMs, 'open');
    if (this.closing) return 'closing';
    for (const [name, handler] of Object.entries(this.handlers.methods)) onMethod(client, name, handler, (e) => log.warn({ err: e, method: name }, 'method response failed'));
    const twin = await withTimeout(getTwin(client), twinTimeoutMs, 'getTwin');
    session.twin = twin;
    twin.on('error', (e: Error) => end(`twin error: ${e.message}`));
    this.connects++;
    this.lastContactAt = this.now();
    this.setState('connected');
    onConnected();
    // The whole twin first, then patches: the listener's first event repeats the same $version and is ignored.
    await this.handlers.onTwin(twin.properties.desired as JsonObject, twin.properties.reported as unknown as JsonObject);
    twin.on('properties.desired', (patch: JsonObject) => {
      Promise.resolve(this.handlers.onDesiredPatch(patch)).catch((e) => log.error({ err: e }, 'desired patch handling failed'));
    });
    void this.flush();
    return ended;
  }

  private async dispose(): Promise<void> {
    const session = this.current;
    this.current = undefined;
    if (!session) return;
    session.client.removeAllListeners();
    session.twin?.removeAllListeners();
    await withTimeout(closeClient(session.client), 3_000, 'close').catch((e) => this.options.log.debug({ err: e }, 'close failed'));
  }

  /** One drain at a time; one that stopped with its session leaves the rest to the next session's drain. */
  private flush(): Promise<void> {
    this.flushing ??= this.drain().finally(() => {
      this.flushing = undefined;
      if (this.current && !this.current.isEnded && (this.pendingReported || this.queue.length > 0)) void this.flush();
    });
    return this.flushing;
  }

  /**
   * Reported first (it is the twin's truth), then messages oldest first; a failure ends the session. Each
   * call is bounded by its timeout and by its session's end: a call on a dead client must not hold back
   * what the next client could send.
   */
  private async drain(): Promise<void> {
    const { twinTimeoutMs, sendTimeoutMs } = this.options;
    for (;;) {
      const session = this.current;
      if (!session?.twin || session.isEnded || this.stateValue !== 'connected') return;
      const bounded = <T>(call: Promise<T>, ms: number, what: string) =>
        withTimeout(Promise.race([call, session.ended.then((reason) => Promise.reject(new Error(`session ended: ${reason}`)))]), ms, what);
      try {
        if (this.pendingReported) {
          const patch = this.pendingReported;
          this.pendingReported = undefined;
          try {
            await bounded(updateReported(session.twin, patch), twinTimeoutMs, 'reported update');
          } catch (e) {
            // Not acknowledged: it may or may not have landed, so it is sent again (merge patches are idempotent).
            this.pendingReported = combinePatches(patch, this.pendingReported);
            throw e;
          }
        } else if (this.queue.length > 0) {
          const item = this.queue.peek()!;
          await bounded(sendOutput(session.client, item.output, item.message), sendTimeoutMs, `send on ${item.output}`);
          this.queue.shift();
        } else {
          return;
        }
        this.lastContactAt = this.now();
      } catch (e) {
        session.end((e as Error).message);
        return;
      }
    }
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}
