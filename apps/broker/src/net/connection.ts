import type { Socket } from 'node:net';
import { ApiKey, DecodeError, encodeResponse, ErrorCode, FrameReader, decodeRequest, peekRequestPrefix } from '@tributary/protocol';
import { settingNumber } from '../config/broker-config.ts';
import { apiVersionsBody } from '../handlers/api-versions.ts';
import { ANONYMOUS, type BrokerContext, type HandlerEntry, type RequestSession } from '../handlers/context.ts';
import type { Listener } from '../config/broker-config.ts';
import type { ListenerSecurity } from '../security/listener-security.ts';
import { SaslAuthenticator } from '../security/sasl-authenticator.ts';
import { tlsPrincipal } from '../security/tls-principal.ts';

/** What an unauthenticated client may send on a SASL listener (as in Kafka). */
const BEFORE_AUTH = new Set<number>([ApiKey.ApiVersions, ApiKey.SaslHandshake, ApiKey.SaslAuthenticate]);

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
  readonly #security: ListenerSecurity;
  readonly #sasl: SaslAuthenticator | null;
  #principal = ANONYMOUS;
  #authenticated: boolean;
  #busy = false;
  #closed = false;
  /** Set after a failed login: nothing more is read or answered before the delayed close. */
  #closing = false;
  /** Quota throttling: no request is handled before this time. */
  #mutedUntil = 0;
  /** After a v0 SaslHandshake: frames are raw SASL tokens until authentication completes. */
  #rawSasl = false;

  constructor(socket: Socket, ctx: BrokerContext, handlers: ReadonlyMap<number, HandlerEntry>, listener: Listener) {
    this.#socket = socket;
    this.#listener = listener;
    this.#ctx = ctx;
    this.#security = ctx.listenerSecurity.get(listener.name)!;
    this.#sasl = this.#security.sasl ? new SaslAuthenticator(this.#security, ctx.credentials, ctx.fakeSaltKey) : null;
    this.#authenticated = !this.#security.sasl;
    // SSL listeners name the client by its certificate, as Kafka's default principal builder does.
    if (this.#security.tls && !this.#security.sasl) this.#principal = tlsPrincipal(socket) ?? ANONYMOUS;
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
      while (this.#queue.length > 0 && !this.#closed && !this.#closing) {
        await this.#handle(this.#queue.shift()!);
        const muted = this.#mutedUntil - Date.now();
        if (muted > 0) await new Promise((r) => setTimeout(r, muted));
        if (this.#queue.length <= 16 && this.#socket.isPaused()) this.#socket.resume();
      }
    } finally {
      this.#busy = false;
    }
  }

  async #handle(frame: Buffer): Promise<void> {
    if (this.#rawSasl) return this.#authenticateRaw(frame);
    const prefix = peekRequestPrefix(frame);
    if (!prefix) return this.close('connection closed: request shorter than its header', { bytes: frame.length });
    const entry = this.#handlers.get(prefix.apiKey);
    if (!entry) return this.close('connection closed: unsupported API key', { apiKey: prefix.apiKey });
    if (prefix.apiVersion < entry.minVersion || prefix.apiVersion > entry.maxVersion) {
      // KIP-511: an ApiVersions request of a version we do not know gets a v0 answer with our ranges.
      if (prefix.apiKey === ApiKey.ApiVersions) return this.#send(ApiKey.ApiVersions, 0, prefix.correlationId, apiVersionsBody(this.#handlers, ErrorCode.UNSUPPORTED_VERSION));
      return this.close('connection closed: unsupported API version', { apiKey: prefix.apiKey, apiVersion: prefix.apiVersion });
    }
    if (!this.#authenticated && !BEFORE_AUTH.has(prefix.apiKey)) {
      return this.close('connection closed: request before SASL authentication', { apiKey: prefix.apiKey });
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
    if ((prefix.apiKey === ApiKey.SaslHandshake || prefix.apiKey === ApiKey.SaslAuthenticate) && this.#sasl) {
      return this.#authenticate(prefix.apiKey, prefix.apiVersion, prefix.correlationId, request.body);
    }
    try {
      const session: RequestSession = { principal: this.#principal, clientId: request.header.clientId, host: this.#socket.remoteAddress ?? '', listener: this.#listener.name };
      const body = await entry.handle(this.#ctx, request, session);
      const throttle = this.#throttle(prefix.apiKey, frame.length, body, Number(process.hrtime.bigint() - started) / 1e6, session);
      if (throttle > 0 && body !== undefined && typeof (body as { throttleTimeMs?: number }).throttleTimeMs === 'number') {
        (body as { throttleTimeMs: number }).throttleTimeMs = Math.max((body as { throttleTimeMs: number }).throttleTimeMs, throttle);
      }
      if (body !== undefined) this.#send(prefix.apiKey, prefix.apiVersion, prefix.correlationId, body);
      // KIP-219: answer at once, then read nothing more from this client until the throttle ends.
      if (throttle > 0) this.#mutedUntil = Math.max(this.#mutedUntil, Date.now() + throttle);
    } catch (err) {
      this.#ctx.logger.log('error', 'handler failed', { api, error: err instanceof Error ? err.stack : String(err) });
      return this.close();
    } finally {
      this.#ctx.metrics.requests.inc({ api });
      this.#ctx.metrics.latency.observe({ api }, Number(process.hrtime.bigint() - started) / 1e9);
    }
  }

  #authenticate(apiKey: number, apiVersion: number, correlationId: number, body: unknown): void {
    const host = this.#socket.remoteAddress ?? '';
    if (this.#authenticated) return this.close('connection closed: SASL request after authentication', { apiKey });
    if (apiKey === ApiKey.SaslHandshake && this.#ctx.failedLogins.blocked(host)) {
      this.#send(apiKey, apiVersion, correlationId, { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] });
      return this.close('connection refused: too many failed authentications from this address', { peer: this.peer });
    }
    const step = this.#sasl!.handle(apiKey, apiVersion, body);
    this.#send(apiKey, apiVersion, correlationId, step.body);
    // SaslHandshake v0 (pre-KIP-152 clients): the tokens that follow travel as bare length-prefixed frames.
    if (apiKey === ApiKey.SaslHandshake && apiVersion === 0 && step.kind === 'reply' && (step.body as { errorCode: number }).errorCode === 0) this.#rawSasl = true;
    this.#afterSaslStep(step);
  }

  #authenticateRaw(token: Buffer): void {
    const step = this.#sasl!.handle(ApiKey.SaslAuthenticate, 0, { authBytes: token });
    if (step.kind !== 'failed') {
      const reply = (step.body as { authBytes: Buffer }).authBytes;
      const size = Buffer.alloc(4);
      size.writeInt32BE(reply.length);
      this.#socket.write(Buffer.concat([size, reply]));
    }
    if (step.kind === 'authenticated') this.#rawSasl = false;
    this.#afterSaslStep(step);
  }

  #afterSaslStep(step: ReturnType<SaslAuthenticator['handle']>): void {
    if (step.kind === 'authenticated') {
      this.#authenticated = true;
      this.#principal = step.principal;
      this.#ctx.logger.log('info', 'client authenticated', { peer: this.peer, principal: step.principal, mechanism: step.mechanism, listener: this.#listener.name });
    } else if (step.kind === 'failed') {
      this.#ctx.failedLogins.recordFailure(this.#socket.remoteAddress ?? '');
      this.#ctx.metrics.failedAuthentications.inc();
      // The reason and user name go to the log for the operator; the client got only the generic message.
      this.#ctx.logger.log('warn', 'authentication failed', { peer: this.peer, listener: this.#listener.name, user: step.user, reason: step.reason });
      // Kafka delays the close so that a client retrying in a loop cannot spin the broker.
      this.#closing = true;
      setTimeout(() => this.close(), settingNumber(this.#ctx.config, 'connection.failed.authentication.delay.ms')).unref();
    }
  }

  /**
   * Client quotas: produce bytes (the request), fetch bytes (the records answered) and handler time
   * are recorded for the client's quota entity; the longest throttle any of them asks for applies.
   */
  #throttle(apiKey: number, requestBytes: number, body: unknown, handlerMs: number, session: RequestSession): number {
    const user = session.principal.startsWith('User:') ? session.principal.slice(5) : session.principal;
    const clientId = session.clientId ?? '';
    const labels = { user, client_id: clientId };
    const quotas = this.#ctx.clientQuotas;
    let throttle = 0;
    const apply = (quota: 'producer_byte_rate' | 'consumer_byte_rate' | 'request_percentage', amount: number) => {
      const t = quotas.record(user, clientId, quota, amount).throttleMs;
      if (t > 0) {
        this.#ctx.metrics.throttleMs.inc({ quota, ...labels }, t);
        this.#ctx.metrics.throttleEvents.inc({ quota, ...labels });
      }
      throttle = Math.max(throttle, t);
    };
    if (apiKey === ApiKey.Produce) {
      this.#ctx.metrics.clientBytes.inc({ direction: 'in', ...labels }, requestBytes);
      apply('producer_byte_rate', requestBytes);
      throttle = Math.max(throttle, this.#ctx.bandwidth.record('produce', requestBytes));
    } else if (apiKey === ApiKey.Fetch && body) {
      let bytes = 0;
      for (const t of (body as { responses: { partitions: { records: Buffer | null }[] }[] }).responses) for (const p of t.partitions) bytes += p.records?.length ?? 0;
      this.#ctx.metrics.clientBytes.inc({ direction: 'out', ...labels }, bytes);
      apply('consumer_byte_rate', bytes);
      throttle = Math.max(throttle, this.#ctx.bandwidth.record('fetch', bytes));
      // Fetch names no group: the groups this connection's client (id and host) is a member of share
      // its bytes, and the most throttled of them holds it.
      for (const groupId of this.#ctx.groups.groupsOfClient(clientId, `/${session.host}`)) {
        const t = quotas.recordGroup(groupId, bytes);
        this.#ctx.metrics.groupBytes.inc({ group: groupId }, bytes);
        if (t > 0) {
          this.#ctx.metrics.groupThrottleMs.inc({ group: groupId }, t);
          this.#ctx.metrics.throttleMs.inc({ quota: 'group_consumer_byte_rate', user, client_id: clientId }, t);
          this.#ctx.metrics.throttleEvents.inc({ quota: 'group_consumer_byte_rate', user, client_id: clientId });
        }
        throttle = Math.max(throttle, t);
      }
    }
    // request_percentage: 100 means one request-handler thread's whole time (1000 ms per second), so
    // recording handler ms / 10 makes the measured rate a percentage, comparable with the bound.
    if (quotas.resolve(user, clientId, 'request_percentage')) apply('request_percentage', handlerMs / 10);
    // Handlers that meter their own quota (topic mutations) put it in throttle_time_ms.
    const own = (body as { throttleTimeMs?: unknown } | undefined)?.throttleTimeMs;
    if (typeof own === 'number' && own > 0) throttle = Math.max(throttle, own);
    return throttle;
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
