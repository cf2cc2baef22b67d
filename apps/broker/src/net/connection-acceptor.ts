import type { Socket } from 'node:net';
import type { Logger } from '../logger.ts';
import type { ConnectionLimits } from './connection-limits.ts';

interface Waiting {
  socket: Socket;
  /** When the acceptor may take it, once the creation rates recorded for it allow (null: not yet recorded). */
  until: number | null;
}

interface Open {
  listener: string;
  ip: string;
}

export interface AcceptorDeps {
  limits: ConnectionLimits;
  /** The ip quota (KIP-612 `connection_creation_rate`): how long to hold a connection from this address before closing it; 0 to take it. */
  ipThrottleMs: (ip: string) => number;
  /** Hands an admitted connection over to the broker. */
  open: (socket: Socket, listener: string) => void;
  logger: Logger;
  /** Told of every connection a limit closes (max.connections.per.ip, ip_connection_creation_rate, max.connections). */
  closedByLimit?: (reason: 'max.connections.per.ip' | 'ip_connection_creation_rate' | 'max.connections') => void;
  /** Told the number of connections waiting on a listener whenever it changes. */
  waitingChanged?: (listener: string, waiting: number) => void;
  now?: () => number;
}

/**
 * Takes new connections as Kafka's acceptor does (SocketServer.Acceptor with ConnectionQuotas):
 * one listener's connections are taken in order; while the broker-wide or the listener's creation
 * rate is exceeded, or the listener or the broker has its maximum of open connections, the next
 * one waits unread (Kafka leaves it in the accept backlog) and so do those behind it. Then the
 * address's own rate (`ip` quota): past it the connection is neither read nor answered and is
 * closed after its throttle time. Then the address's count: past `max.connections.per.ip` (or its
 * override) it is closed at once. A connection of the protected inter-broker listener may take the
 * broker past `max.connections`; then the least recently used connections of the other listeners
 * are closed until it is back at the maximum (Kafka's processors close one per poll each).
 */
export class ConnectionAcceptor {
  readonly #deps: AcceptorDeps;
  readonly #now: () => number;
  readonly #queues = new Map<string, Waiting[]>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  /** Open connections, least recently active first (activity moves one to the end). */
  readonly #open = new Map<Socket, Open>();
  readonly #held = new Set<Socket>();
  /** Listeners being drained now: a close during an admission drains again only once that one is done. */
  readonly #draining = new Set<string>();
  #closed = false;

  constructor(deps: AcceptorDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
  }

  /** Connections waiting for the limits to let them in, per listener (a metric, and what tests wait for). */
  waiting(listener: string): number {
    return this.#queues.get(listener)?.length ?? 0;
  }

  accept(listener: string, socket: Socket): void {
    if (this.#closed) return void socket.destroy();
    socket.on('error', () => undefined);
    const queue = this.#queues.get(listener) ?? [];
    this.#queues.set(listener, queue);
    const waiting: Waiting = { socket, until: null };
    queue.push(waiting);
    // A client that gives up while it waits leaves the queue (its rate was counted, as Kafka's was).
    socket.once('close', () => {
      const i = queue.indexOf(waiting);
      if (i >= 0) queue.splice(i, 1);
      this.#deps.waitingChanged?.(listener, queue.length);
    });
    this.#drain(listener);
    this.#deps.waitingChanged?.(listener, queue.length);
  }

  #drain(listener: string): void {
    if (this.#timers.has(listener) || this.#closed || this.#draining.has(listener)) return;
    this.#draining.add(listener);
    try {
      this.#drainQueue(listener);
    } finally {
      this.#draining.delete(listener);
    }
  }

  #drainQueue(listener: string): void {
    const queue = this.#queues.get(listener)!;
    while (queue.length > 0) {
      const head = queue[0]!;
      const now = this.#now();
      head.until ??= now + this.#deps.limits.recordCreation(listener, now);
      if (head.until > now) {
        this.#timers.set(listener, setTimeout(() => {
          this.#timers.delete(listener);
          this.#drain(listener);
        }, head.until - now));
        return;
      }
      // No slot: it waits until a connection closes (#release drains every listener again).
      if (!this.#deps.limits.slotAvailable(listener)) return;
      queue.shift();
      this.#deps.waitingChanged?.(listener, queue.length);
      this.#admit(listener, head.socket);
    }
  }

  #admit(listener: string, socket: Socket): void {
    const ip = socket.remoteAddress ?? '';
    const throttled = this.#deps.ipThrottleMs(ip);
    if (throttled > 0) {
      this.#deps.limits.unrecordCreation(listener, this.#now());
      this.#held.add(socket);
      const timer = setTimeout(() => socket.destroy(), throttled);
      socket.once('close', () => {
        clearTimeout(timer);
        this.#held.delete(socket);
      });
      this.#deps.logger.log('debug', 'connection throttled by its ip quota', { ip, throttleMs: throttled });
      this.#deps.closedByLimit?.('ip_connection_creation_rate');
      return;
    }
    const within = this.#deps.limits.add(listener, ip);
    this.#open.set(socket, { listener, ip });
    socket.once('close', () => this.#release(socket));
    if (!within) {
      this.#deps.logger.log('info', 'connection refused: its address already has the maximum of connections', { ip, listener });
      this.#release(socket);
      socket.destroy();
      this.#deps.closedByLimit?.('max.connections.per.ip');
      return;
    }
    this.#deps.open(socket, listener);
    socket.on('data', () => {
      const entry = this.#open.get(socket);
      if (!entry) return;
      this.#open.delete(socket);
      this.#open.set(socket, entry);
    });
    this.#closeExcess();
  }

  /** Past max.connections (through the protected listener): the least recently used connections of the other listeners go. */
  #closeExcess(): void {
    for (const [socket, { listener }] of this.#open) {
      if (!this.#deps.limits.exceeded(listener)) continue;
      this.#deps.logger.log('info', 'connection closed: the broker is past max.connections', { ip: socket.remoteAddress, listener });
      this.#release(socket);
      socket.destroy();
      this.#deps.closedByLimit?.('max.connections');
    }
  }

  #release(socket: Socket): void {
    const entry = this.#open.get(socket);
    if (!entry) return;
    this.#open.delete(socket);
    this.#deps.limits.remove(entry.listener, entry.ip);
    for (const listener of this.#queues.keys()) this.#drain(listener);
  }

  /** Stops taking connections: those waiting or held by their ip quota are closed (open ones are the broker's to close). */
  close(): void {
    this.#closed = true;
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
    for (const queue of this.#queues.values()) for (const w of queue.splice(0)) w.socket.destroy();
    for (const s of this.#held) s.destroy();
  }
}
