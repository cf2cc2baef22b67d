import { connect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { decodeResponse, encodeRequest, FrameReader } from '@tributary/protocol';

/** Failure to talk to a broker at all (as opposed to a Kafka error code in a response). */
export class ConnectionError extends Error {
  readonly code: 'connect-failed' | 'closed' | 'timeout';
  constructor(code: ConnectionError['code'], message: string) {
    super(message);
    this.name = 'ConnectionError';
    this.code = code;
  }
}

interface Pending {
  apiKey: number;
  apiVersion: number;
  resolve: (body: unknown) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

/** One TCP connection to one broker: pipelined requests matched to responses by correlation id. */
export class BrokerConnection {
  readonly #socket: Socket;
  readonly #frames = new FrameReader(256 * 1024 * 1024);
  readonly #pending = new Map<number, Pending>();
  readonly #clientId: string;
  readonly #timeoutMs: number;
  #nextCorrelation = 1;
  #closed = false;

  private constructor(socket: Socket, clientId: string, timeoutMs: number) {
    this.#socket = socket;
    this.#clientId = clientId;
    this.#timeoutMs = timeoutMs;
    socket.on('data', (chunk) => this.#onData(chunk));
    socket.on('close', () => this.#failAll(new ConnectionError('closed', 'connection closed by the broker')));
    socket.on('error', () => undefined);
  }

  static open(host: string, port: number, clientId: string, timeoutMs = 10_000, tls: ConnectionOptions | null = null): Promise<BrokerConnection> {
    return new Promise((resolve, reject) => {
      const socket = tls ? tlsConnect({ host, port, servername: isIP(host) ? undefined : host, ...tls }) : connect({ host, port });
      const ready = tls ? 'secureConnect' : 'connect';
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new ConnectionError('timeout', `no connection to ${host}:${port} within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once(ready, () => {
        clearTimeout(timer);
        socket.setNoDelay(true);
        resolve(new BrokerConnection(socket, clientId, timeoutMs));
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(new ConnectionError('connect-failed', `cannot connect to ${host}:${port}: ${err.message}`));
      });
    });
  }

  send<T>(apiKey: number, apiVersion: number, body: unknown): Promise<T> {
    if (this.#closed) return Promise.reject(new ConnectionError('closed', 'connection is closed'));
    const correlationId = this.#nextCorrelation++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(correlationId);
        reject(new ConnectionError('timeout', `no response to API ${apiKey} v${apiVersion} within ${this.#timeoutMs} ms`));
      }, this.#timeoutMs);
      this.#pending.set(correlationId, { apiKey, apiVersion, resolve: resolve as (b: unknown) => void, reject, timer });
      for (const chunk of encodeRequest({ apiKey, apiVersion, correlationId, clientId: this.#clientId }, body)) this.#socket.write(chunk);
    });
  }

  /** True once the broker or this side closed the connection. */
  get closed(): boolean {
    return this.#closed;
  }

  close(): void {
    this.#closed = true;
    this.#socket.destroy();
  }

  #onData(chunk: Buffer): void {
    for (const frame of this.#frames.push(chunk)) {
      const correlationId = frame.readInt32BE(0);
      const p = this.#pending.get(correlationId);
      if (!p) continue;
      this.#pending.delete(correlationId);
      clearTimeout(p.timer);
      try {
        p.resolve(decodeResponse(frame, p.apiKey, p.apiVersion).body);
      } catch (err) {
        p.reject(err as Error);
      }
    }
  }

  #failAll(err: Error): void {
    this.#closed = true;
    for (const p of this.#pending.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.#pending.clear();
  }
}
