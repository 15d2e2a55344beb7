// edgeHub's MQTT side: an MQTT 3.1.1 broker (aedes) behind a TLS listener on loopback, with the faults the
// module must survive — dropped sockets, a restart that keeps or loses the persistent sessions, and a
// listener that is down (connection refused, like a stopped edgeHub container).
import type { AddressInfo, Socket } from 'node:net';
import tls from 'node:tls';
import { Aedes, type AuthenticateError, type Client } from 'aedes';

export interface BrokerHooks {
  /** Returns undefined to accept the CONNECT, or why it is refused (CONNACK "not authorized"). */
  authenticate(clientId: string, username: string | undefined, password: Buffer | undefined): string | undefined;
  /** Every PUBLISH a client sends (after the broker accepted it). */
  published(topic: string, payload: Buffer): void;
  /** Connection state or subscriptions changed. */
  changed(): void;
}

export interface BrokerOptions {
  host: string;
  port: number;
  cert: string;
  key: string;
  hooks: BrokerHooks;
}

// aedes' runtime Client keeps its live subscriptions here; the type definitions leave it out.
type ClientWithSubscriptions = Client & { subscriptions: Record<string, unknown> };

export class MqttBroker {
  /** Successful CONNECTs (CONNACK accepted) since start. */
  connections = 0;
  private broker: Aedes | undefined;
  private server: tls.Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly live = new Map<string, ClientWithSubscriptions>();
  private refusing = false;
  private hanging = false;
  private closed = false;
  // Listener changes (refuse, restart, close) are asynchronous; they run one after another.
  private queue: Promise<void> = Promise.resolve();

  private constructor(private readonly options: BrokerOptions) {}

  static async start(options: BrokerOptions): Promise<MqttBroker> {
    const broker = new MqttBroker(options);
    broker.broker = await broker.createAedes();
    await broker.listen(options.port);
    return broker;
  }

  get port(): number {
    return this.options.port;
  }

  get connected(): boolean {
    return this.live.size > 0;
  }

  /** Topic filters the connected client(s) are subscribed to right now (what the broker will deliver). */
  get subscriptions(): string[] {
    const topics = new Set<string>();
    for (const client of this.live.values()) for (const topic of Object.keys(client.subscriptions)) topics.add(topic);
    return [...topics];
  }

  /** Publishes to whoever is subscribed (QoS 0, like IoT Hub's twin and method topics); lost if nobody is. */
  publish(topic: string, payload: Buffer | string): void {
    this.broker?.publish(
      { cmd: 'publish', topic, payload: Buffer.from(payload), qos: 0, dup: false, retain: false },
      () => undefined,
    );
  }

  /** Destroys every client socket; the broker keeps the persistent sessions. */
  dropConnections(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  /** Stops and restarts on the same port; without keepSessions every subscription is forgotten. */
  restart(keepSessions: boolean): Promise<void> {
    return this.enqueue(async () => {
      if (this.closed) return;
      await this.stopListening();
      if (!keepSessions) {
        const old = this.broker;
        this.broker = await this.createAedes();
        await new Promise<void>((resolve) => old?.close(() => resolve()));
        this.live.clear();
      }
      if (!this.refusing) await this.listen(this.options.port);
      this.options.hooks.changed();
    });
  }

  /** While on, the TCP listener is closed (clients get ECONNREFUSED); connected clients are not touched. */
  refuseConnections(on: boolean): Promise<void> {
    return this.enqueue(async () => {
      if (this.closed || on === this.refusing) return;
      this.refusing = on;
      // server.close() stops accepting at once but calls back only when the connected clients are gone,
      // which they are not meant to be here: do not wait for it.
      if (on) void this.closeListener();
      else await this.listen(this.options.port);
    });
  }

  /**
   * While on, new connections complete TLS and are then left unanswered: CONNECT never gets a CONNACK, like a
   * hung edgeHub. The sockets stay open until dropConnections, restart or close; connected clients are not touched.
   */
  hangConnects(on: boolean): void {
    this.hanging = on;
  }

  close(): Promise<void> {
    return this.enqueue(async () => {
      this.closed = true;
      await this.stopListening();
      const broker = this.broker;
      this.broker = undefined;
      await new Promise<void>((resolve) => (broker ? broker.close(() => resolve()) : resolve()));
      this.live.clear();
    });
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    const run = this.queue.then(step);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async createAedes(): Promise<Aedes> {
    const hooks = this.options.hooks;
    const aedes = await Aedes.createBroker({
      authenticate: (client, username, password, done) => {
        const problem = hooks.authenticate(client.id, username, password);
        if (problem === undefined) {
          done(null, true);
        } else {
          const error = Object.assign(new Error(problem), { returnCode: 5 }) as AuthenticateError;
          done(error, false);
        }
      },
    });
    aedes.on('clientReady', (client) => {
      // Ignore the late events of a broker already replaced by restart().
      if (aedes !== this.broker) return;
      this.connections++;
      this.live.set(client.id, client as ClientWithSubscriptions);
      hooks.changed();
    });
    aedes.on('clientDisconnect', (client) => {
      if (this.live.get(client.id) === client) this.live.delete(client.id);
      hooks.changed();
    });
    aedes.on('subscribe', () => hooks.changed());
    aedes.on('unsubscribe', () => hooks.changed());
    aedes.on('publish', (packet, client) => {
      if (client && aedes === this.broker) hooks.published(packet.topic, Buffer.from(packet.payload));
    });
    // Rejected CONNECTs and reset sockets surface here; they are expected in fault tests.
    aedes.on('clientError', () => undefined);
    aedes.on('connectionError', () => undefined);
    return aedes;
  }

  private async listen(port: number): Promise<void> {
    const server = tls.createServer({ cert: this.options.cert, key: this.options.key, minVersion: 'TLSv1.2' });
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    server.on('secureConnection', (socket) => {
      // A hung socket is never read; a client that gives up on it resets it, which is not an emulator failure.
      if (this.hanging) socket.on('error', () => undefined);
      else this.broker?.handle(socket);
    });
    // A client that gives up mid-handshake is not an emulator failure.
    server.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.options.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  private closeListener(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    return new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }

  private async stopListening(): Promise<void> {
    const closing = this.closeListener();
    this.dropConnections();
    await closing;
  }
}
