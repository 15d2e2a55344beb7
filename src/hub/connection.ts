// The module's link to edgeHub, kept alive against the SDK's known failure modes:
// - open() is retried here with capped, jittered backoff (the SDK fails at once, with a misleading
//   UnauthorizedError, against an unreachable edgeHub, and does not retry);
// - every twin call and send has a timeout; a hang or failure closes the client and makes a new one, which
//   re-reads the whole twin (after edgeHub restarts without the session, twin calls never settle:
//   azure-iot-sdk-node issue #1255);
// - the SDK's own silent reconnection is off: a lost connection ends the session at once, and the new
//   client re-reads the whole twin, so nothing rests on the subscriptions the SDK restores;
// - malformed JSON from the broker is caught in the SDK's twin parser and also leads to a new client;
// - reported patches and output messages wait while disconnected and go out in order once connected, through
//   one drain per session that never re-enters itself (see `flush`) and holds nothing once a call has settled.
import type { Logger } from 'pino';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import { guardTwinParser } from './malformed.js';
import { createBoundedQueue } from './queue.js';
import * as realSdk from './sdk.js';
import {
  ReportedRejectedError,
  type MethodHandler,
  type ModuleClient,
  type ModuleTwin,
  type OutgoingMessage,
} from './sdk.js';
import { isPlainObject, type JsonObject } from '../config/json.js';
import { combinePatches } from './patches.js';
import { withTimeout } from './timeout.js';

export type HubState = 'connecting' | 'connected' | 'disconnected' | 'closed';

export interface HubHandlers {
  /** The whole twin, after every (re)connect: desired with its `$version`, and reported. */
  onTwin(desired: JsonObject, reported: JsonObject): void | Promise<void>;
  onDesiredPatch(patch: JsonObject): void | Promise<void>;
  /**
   * IoT Hub answered a reported patch with an error (e.g. the section would pass its size limit). The patch is
   * dropped, not retried (it would be refused again, for ever); the module should write whole sections next time.
   */
  onReportedRejected?(reason: string): void;
  methods: Record<string, MethodHandler>;
}

/** The SDK calls the connection makes; the real ones by default, replaceable to drive the logic in unit tests. */
export type HubSdk = Pick<
  typeof realSdk,
  'createModuleClient' | 'openClient' | 'closeClient' | 'getTwin' | 'onMethod' | 'updateReported' | 'sendOutput'
>;

export interface HubOptions {
  modelId: string;
  twinTimeoutMs: number;
  openTimeoutMs: number;
  sendTimeoutMs: number;
  queueCapacity: number;
  backoff: BackoffOptions;
  log: Logger;
  now?: () => number;
  sdk?: HubSdk;
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
  /** Aborted when the session ends, with the reason; every call in flight on this client gives up at once. */
  ended: AbortSignal;
  end: (reason: string) => void;
  /** The session's one drain, while it runs. */
  draining?: Promise<void>;
}

export class HubConnection {
  private current: Session | undefined;
  private closing = false;
  private pendingReported: JsonObject | undefined;
  private readonly queue;
  private readonly sdk: HubSdk;
  private wake: (() => void) | undefined;
  private loopDone: Promise<void> | undefined;
  private stateValue: HubState = 'disconnected';
  lastContactAt: number | undefined;

  constructor(
    private readonly handlers: HubHandlers,
    private readonly options: HubOptions,
  ) {
    this.queue = createBoundedQueue<{ output: string; message: OutgoingMessage }>(options.queueCapacity);
    this.sdk = options.sdk ?? realSdk;
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
    if (this.stateValue === 'connected')
      await withTimeout(this.flush(), graceMs, 'final flush').catch((e) =>
        this.options.log.warn({ err: e }, 'final flush incomplete'),
      );
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
        // A shutdown ends the session too: that is not news worth a warning, and nothing is recreated.
        if (!this.closing) this.options.log.warn({ reason }, 'edgeHub session ended; recreating the client');
      } catch (e) {
        if (!this.closing) this.options.log.warn({ err: e, attempt }, 'edgeHub connection failed');
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
    const sdk = this.sdk;
    const client = await withTimeout(sdk.createModuleClient(this.options.modelId), openTimeoutMs, 'create client');
    const abort = new AbortController();
    const ended = new Promise<string>((resolve) =>
      abort.signal.addEventListener('abort', () => resolve(String(abort.signal.reason)), { once: true }),
    );
    const session: Session = { client, ended: abort.signal, end: (reason) => abort.abort(reason) };
    this.current = session;
    if (this.closing) session.end('closing');
    client.on('error', (e: Error) => session.end(`client error: ${e.message}`));
    client.on('disconnect', () => session.end('disconnected'));
    // Each step gives up as soon as the session ends (a shutdown, a lost link), not only at its timeout.
    const step = <T>(call: Promise<T>, ms: number, what: string) =>
      withTimeout(untilEnded(call, session.ended), ms, what);
    await step(sdk.openClient(client), openTimeoutMs, 'open');
    for (const [name, handler] of Object.entries(this.handlers.methods))
      sdk.onMethod(client, name, handler, (e) => log.warn({ err: e, method: name }, 'method response failed'));
    const twin = await step(sdk.getTwin(client), twinTimeoutMs, 'getTwin');
    session.twin = twin;
    twin.on('error', (e: Error) => session.end(`twin error: ${e.message}`));
    this.lastContactAt = this.now();
    this.setState('connected');
    onConnected();
    // The whole twin first, then patches: the listener's first event repeats the same $version and is ignored.
    // The SDK types both as its own classes; what edgeHub sent is JSON, and anything else reads as empty.
    const json = (value: unknown): JsonObject => (isPlainObject(value) ? value : {});
    await this.handlers.onTwin(json(twin.properties.desired), json(twin.properties.reported));
    twin.on('properties.desired', (patch: JsonObject) => {
      Promise.resolve(this.handlers.onDesiredPatch(patch)).catch((e) =>
        log.error({ err: e }, 'desired patch handling failed'),
      );
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
    await withTimeout(this.sdk.closeClient(session.client), 3_000, 'close').catch((e) =>
      this.options.log.debug({ err: e }, 'close failed'),
    );
  }

  /**
   * Starts the current session's drain unless it is running or cannot progress (no session, twin not read yet,
   * ended). The drain begins on a later microtask and clears `draining` on its way out, in the same step as its
   * last look at the queue: so nothing pushed is ever left behind, and a flush never re-enters itself (a drain
   * that could not progress and restarted itself at once would spin without yielding to timers or signals).
   */
  private flush(): Promise<void> {
    const session = this.current;
    if (!session?.twin || session.ended.aborted || this.stateValue !== 'connected') return Promise.resolve();
    return (session.draining ??= this.drain(session));
  }

  /** Reported first (it is the twin's truth), then messages oldest first; a failure ends the session. */
  private async drain(session: Session): Promise<void> {
    const { twinTimeoutMs, sendTimeoutMs, log } = this.options;
    const twin = session.twin!;
    // Bounded by its timeout and by the session's end: a call on a dead client must not hold back the next one.
    const step = <T>(call: Promise<T>, ms: number, what: string) =>
      withTimeout(untilEnded(call, session.ended), ms, what);
    await Promise.resolve();
    try {
      while (!session.ended.aborted && this.current === session) {
        if (this.pendingReported) {
          const patch = this.pendingReported;
          this.pendingReported = undefined;
          try {
            await step(this.sdk.updateReported(twin, patch), twinTimeoutMs, 'reported update');
          } catch (e) {
            if (e instanceof ReportedRejectedError) {
              // Refused by IoT Hub, not lost on the way: sending it again would be refused again, for ever.
              log.error(
                { err: e },
                'IoT Hub refused a reported patch; it is dropped and whole sections are written next',
              );
              this.handlers.onReportedRejected?.(e.message);
              continue;
            }
            // Not acknowledged: it may or may not have landed, so it is sent again (merge patches are idempotent).
            this.pendingReported = combinePatches(patch, this.pendingReported);
            throw e;
          }
        } else if (this.queue.length > 0) {
          const item = this.queue.peek()!;
          await step(
            this.sdk.sendOutput(session.client, item.output, item.message),
            sendTimeoutMs,
            `send on ${item.output}`,
          );
          this.queue.shift();
        } else {
          return;
        }
        this.lastContactAt = this.now();
      }
    } catch (e) {
      session.end((e as Error).message);
    } finally {
      session.draining = undefined;
    }
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}

/** `call`, or a rejection as soon as `ended` aborts; the listener is removed once either happens. */
function untilEnded<T>(call: Promise<T>, ended: AbortSignal): Promise<T> {
  if (ended.aborted) {
    call.catch(() => undefined);
    return Promise.reject(new Error(`session ended: ${String(ended.reason)}`));
  }
  return new Promise<T>((resolve, reject) => {
    const onEnd = () => reject(new Error(`session ended: ${String(ended.reason)}`));
    ended.addEventListener('abort', onEnd, { once: true });
    call.then(resolve, reject).finally(() => ended.removeEventListener('abort', onEnd));
  });
}
