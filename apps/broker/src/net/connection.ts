import type { Socket } from 'node:net';
import { ApiKey, DecodeError, encodeResponse, ErrorCode, FrameReader, decodeRequest, peekRequestPrefix } from '@tributary/protocol';
import { settingNumber } from '../config/broker-config.ts';
import { apiVersionsBody } from '../handlers/api-versions.ts';
import { ANONYMOUS, type BrokerContext, type HandlerEntry, type RequestSession } from '../handlers/context.ts';
import type { Listener } from '../config/broker-config.ts';

/**
 * One client connection. Requests are handled one at a time, in arrival order, so responses leave
 * in request order as Kafka guarantees (Kafka mutes a connection while a request is in flight).
 * Bytes that cannot be a valid request close this connection only.
 */
export class Connection {
  readonly #socket: Socket;
  readonly #ctx: BrokerContext;
  readonly #handlers: ReadonlyMap<number, HandlerEntry>;
  readonly #frames: FrameReader;
  readonly #queue: Buffer[] = [];
  readonly #listener: Listener;
  #principal = ANONYMOUS;
  #busy = false;
  #closed = false;

  constructor(socket: Socket, ctx: BrokerContext, handlers: ReadonlyMap<number, HandlerEntry>, listener: Listener) {
    this.#socket = socket;
    this.#listener = listener;
    this.#ctx = ctx;
    this.#handlers = handlers;
    this.#frames = new FrameReader(settingNumber(ctx.config, 'socket.request.max.bytes'));
    socket.setNoDelay(true);
    socket.on('data', (chunk) => this.#onData(chunk));
    socket.on('error', () => this.close());
    socket.on('close', () => (this.#closed = true));
  }

  get peer(): string {
    return `${this.#socket.remoteAddress}:${this.#socket.remotePort}`;
  }

  close(reason?: string, fields: Record<string, unknown> = {}): void {
    if (this.#closed) return;
    this.#closed = true;
    if (reason) this.#ctx.logger.log('warn', reason, { peer: this.peer, ...fields });
    this.#socket.destroy();
  }

  #onData(chunk: Buffer): void {
    try {
      this.#queue.push(...this.#frames.push(chunk));
    } catch (err) {
      return this.close('connection closed: bad frame', { error: (err as Error).message });
    }
    // Stop reading while requests wait, so a fast client cannot queue unbounded memory here.
    if (this.#queue.length > 16) this.#socket.pause();
    void this.#drain();
  }

  async #drain(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      while (this.#queue.length > 0 && !this.#closed) {
        await this.#handle(this.#queue.shift()!);
        if (this.#queue.length <= 16 && this.#socket.isPaused()) this.#socket.resume();
      }
    } finally {
      this.#busy = false;
    }
  }

  async #handle(frame: Buffer): Promise<void> {
    const prefix = peekRequestPrefix(frame);
    if (!prefix) return this.close('connection closed: request shorter than its header', { bytes: frame.length });
    const entry = this.#handlers.get(prefix.apiKey);
    if (!entry) return this.close('connection closed: unsupported API key', { apiKey: prefix.apiKey });
    if (prefix.apiVersion < entry.minVersion || prefix.apiVersion > entry.maxVersion) {
      // KIP-511: an ApiVersions request of a version we do not know gets a v0 answer with our ranges.
      if (prefix.apiKey === ApiKey.ApiVersions) return this.#send(ApiKey.ApiVersions, 0, prefix.correlationId, apiVersionsBody(this.#handlers, ErrorCode.UNSUPPORTED_VERSION));
      return this.close('connection closed: unsupported API version', { apiKey: prefix.apiKey, apiVersion: prefix.apiVersion });
    }
    let request;
    try {
      request = decodeRequest(frame);
    } catch (err) {
      if (err instanceof DecodeError) return this.close('connection closed: malformed request', { error: err.message, code: err.code });
      throw err;
    }
    const api = request.api.name;
    const started = process.hrtime.bigint();
    try {
      const session: RequestSession = { principal: this.#principal, clientId: request.header.clientId, host: this.#socket.remoteAddress ?? '', listener: this.#listener.name };
      const body = await entry.handle(this.#ctx, request, session);
      if (body !== undefined) this.#send(prefix.apiKey, prefix.apiVersion, prefix.correlationId, body);
    } catch (err) {
      this.#ctx.logger.log('error', 'handler failed', { api, error: err instanceof Error ? err.stack : String(err) });
      return this.close();
    } finally {
      this.#ctx.metrics.requests.inc({ api });
      this.#ctx.metrics.latency.observe({ api }, Number(process.hrtime.bigint() - started) / 1e9);
    }
  }

  #send(apiKey: number, apiVersion: number, correlationId: number, body: unknown): void {
    if (this.#closed) return;
    const chunks = encodeResponse(apiKey, apiVersion, correlationId, body);
    // cork/uncork hands the chunks to the kernel together without joining them in memory.
    this.#socket.cork();
    for (const c of chunks) this.#socket.write(c);
    this.#socket.uncork();
  }
}
