import type { Socket } from 'node:net';
import { ApiKey, DecodeError, encodeResponse, ErrorCode, FrameReader, decodeRequest, peekRequestPrefix, type DecodedRequest, type FetchRequest } from '@tributary/protocol';
import { settingNumber } from '../config/broker-config.ts';
import { apiVersionsBody } from '../handlers/api-versions.ts';
import { ANONYMOUS, type BrokerContext, type HandlerEntry, type RequestSession } from '../handlers/context.ts';
import { errorResponseFor } from '../handlers/error-response.ts';
import { fetchReplicaId } from '../handlers/fetch.ts';
import type { Listener } from '../config/broker-config.ts';
import type { ListenerSecurity } from '../security/listener-security.ts';
import { SaslAuthenticator } from '../security/sasl-authenticator.ts';
import { tlsPrincipal } from '../security/tls-principal.ts';
import { throttleFor } from '../quota/request-throttle.ts';

/** What an unauthenticated client may send on a SASL listener (as in Kafka). */
const BEFORE_AUTH = new Set<number>([ApiKey.ApiVersions, ApiKey.SaslHandshake, ApiKey.SaslAuthenticate]);

/** Frames read off a connection and not yet handled before the socket stops reading. */
const READ_QUEUE_LIMIT = 16;
/**
 * Produce requests of one connection whose appends are done while their answers still wait. As
 * deep as the read queue, so pipelining holds no more frames in memory than reading ahead did;
 * with 5 (the in-flight limit of idempotent clients) acks=-1 RF=3 reached 55–84 MB/s in
 * bench/cluster, with 16 about 95–120 MB/s (non-idempotent librdkafka sends up to 1,000,000).
 */
const PRODUCE_PIPELINE_DEPTH = READ_QUEUE_LIMIT;

/**
 * One client connection. Requests are handled in arrival order and answered in request order, as
 * Kafka guarantees. One exception to "one at a time": a Produce request's appends happen
 * synchronously when it is handled, and its answer may then wait for replication (acks=-1) or
 * fdatasync; the next Produce requests of the connection are appended meanwhile (up to
 * PRODUCE_PIPELINE_DEPTH), their answers queued behind the first. Appends stay in request order, so
 * idempotent producers see exactly what one-at-a-time handling gives; only the waits overlap.
 * Any other request waits until earlier Produce requests are answered.
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
  /** Produce requests appended but not yet answered, oldest first. */
  #pipeline: Promise<void>[] = [];
  #closed = false;
  /** Set after a failed login: nothing more is read or answered before the delayed close. */
  #closing = false;
  /** Quota throttling: no request is handled before this time. */
  #mutedUntil = 0;
  /** After a v0 SaslHandshake: frames are raw SASL tokens until authentication completes. */
  #rawSasl = false;
  /** KIP-368: when the SASL session ends (ms since the epoch); null when sessions do not expire. */
  #sessionEndsAt: number | null = null;
  /** The mechanism of the first authentication; a re-authentication must use the same. */
  #mechanism: string | null = null;
  /** A re-authentication in progress on this authenticated connection (KIP-368). */
  #reauth: SaslAuthenticator | null = null;

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
    if (this.#queue.length > READ_QUEUE_LIMIT) this.#socket.pause();
    void this.#drain();
  }

  async #drain(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      while (this.#queue.length > 0 && !this.#closed && !this.#closing) {
        const frame = this.#queue.shift()!;
        if (this.#authenticated && !this.#rawSasl && peekRequestPrefix(frame)?.apiKey === ApiKey.Produce) {
          this.#pipeline.push(this.#handle(frame, this.#pipeline.at(-1)));
          if (this.#pipeline.length >= PRODUCE_PIPELINE_DEPTH) await this.#pipeline.shift();
        } else {
          await Promise.all(this.#pipeline.splice(0));
          await this.#handle(frame);
        }
        const muted = this.#mutedUntil - Date.now();
        if (muted > 0) await new Promise((r) => setTimeout(r, muted));
        if (this.#queue.length <= READ_QUEUE_LIMIT && this.#socket.isPaused()) this.#socket.resume();
      }
    } finally {
      this.#busy = false;
    }
  }

  /** `answerAfter`: the answer of the request before, which must leave first (pipelined Produce). */
  async #handle(frame: Buffer, answerAfter?: Promise<void>): Promise<void> {
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
    // KIP-368: past its session's end a connection may only re-authenticate; anything else closes it.
    const saslRequest = prefix.apiKey === ApiKey.SaslHandshake || prefix.apiKey === ApiKey.SaslAuthenticate;
    if (this.#sessionEndsAt !== null && Date.now() > this.#sessionEndsAt && !(saslRequest && this.#sasl)) {
      return this.close('connection closed: SASL session expired without re-authentication (connections.max.reauth.ms)', { principal: this.#principal, apiKey: prefix.apiKey });
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
      if (answerAfter) await answerAfter;
      const followerFetch = prefix.apiKey === ApiKey.Fetch && fetchReplicaId(request.body as FetchRequest, prefix.apiVersion) >= 0;
      const throttle = throttleFor(this.#ctx, prefix.apiKey, frame.length, body, Number(process.hrtime.bigint() - started) / 1e6, session, followerFetch);
      if (throttle > 0 && body !== undefined && typeof (body as { throttleTimeMs?: number }).throttleTimeMs === 'number') {
        (body as { throttleTimeMs: number }).throttleTimeMs = Math.max((body as { throttleTimeMs: number }).throttleTimeMs, throttle);
      }
      if (body !== undefined) this.#send(prefix.apiKey, prefix.apiVersion, prefix.correlationId, body);
      // KIP-219: answer at once, then read nothing more from this client until the throttle ends.
      if (throttle > 0) this.#mutedUntil = Math.max(this.#mutedUntil, Date.now() + throttle);
    } catch (err) {
      // As Kafka (AbstractRequest.getErrorResponse): the request is answered with its API's error
      // response, the error code at every level; the connection and the requests after it go on.
      this.#ctx.logger.log('error', 'handler failed', { api, apiVersion: prefix.apiVersion, error: err instanceof Error ? err.stack : String(err) });
      if (answerAfter) await answerAfter.catch(() => undefined);
      const answer = errorAnswer(request, err);
      if (answer === null) return this.close('connection closed: no error response could be built', { api });
      // Produce with acks=0 is never answered, not even with an error (Kafka closes nothing either).
      if (prefix.apiKey === ApiKey.Produce && (request.body as { acks: number }).acks === 0) return;
      this.#send(prefix.apiKey, prefix.apiVersion, prefix.correlationId, answer);
    } finally {
      this.#ctx.metrics.requests.inc({ api });
      this.#ctx.metrics.latency.observe({ api }, Number(process.hrtime.bigint() - started) / 1e9);
    }
  }

  #authenticate(apiKey: number, apiVersion: number, correlationId: number, body: unknown): void {
    const host = this.#socket.remoteAddress ?? '';
    if (this.#authenticated) return this.#reauthenticate(apiKey, apiVersion, correlationId, body);
    if (apiKey === ApiKey.SaslHandshake && this.#ctx.failedLogins.blocked(host)) {
      this.#send(apiKey, apiVersion, correlationId, { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] });
      return this.close('connection refused: too many failed authentications from this address', { peer: this.peer });
    }
    const step = this.#sasl!.handle(apiKey, apiVersion, body);
    const isolated = this.#ctx.config.settings['tributary.instance.isolated.reason'] ?? '';
    if (step.kind === 'authenticated' && isolated !== '') {
      // Billing isolation: right credentials, but the instance serves no client. The login is
      // refused with the reason (safe to tell: the client proved who it is), and it is not a failed
      // login for the address's rate limit.
      this.#send(apiKey, apiVersion, correlationId, { errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, errorMessage: `instance isolated: ${isolated}`, authBytes: Buffer.alloc(0), ...(apiVersion >= 1 ? { sessionLifetimeMs: 0n } : {}) });
      this.#ctx.logger.log('info', 'login refused: instance isolated', { peer: this.peer, principal: step.principal, listener: this.#listener.name });
      this.#closing = true;
      setTimeout(() => this.close(), settingNumber(this.#ctx.config, 'connection.failed.authentication.delay.ms')).unref();
      return;
    }
    this.#send(apiKey, apiVersion, correlationId, this.#withLifetime(apiKey, apiVersion, step));
    // SaslHandshake v0 (pre-KIP-152 clients): the tokens that follow travel as bare length-prefixed frames.
    if (apiKey === ApiKey.SaslHandshake && apiVersion === 0 && step.kind === 'reply' && (step.body as { errorCode: number }).errorCode === 0) this.#rawSasl = true;
    this.#afterSaslStep(step);
  }

  #authenticateRaw(token: Buffer): void {
    const step = this.#sasl!.handle(ApiKey.SaslAuthenticate, 0, { authBytes: token });
    const isolated = this.#ctx.config.settings['tributary.instance.isolated.reason'] ?? '';
    if (step.kind === 'authenticated' && isolated !== '') {
      // Billing isolation for SaslHandshake v0 clients: bare tokens have no error field, so the
      // refusal is the close (as Kafka closes a v0 client's connection after a failed exchange);
      // the server's final token is never sent, so the client cannot believe it logged in.
      this.#ctx.logger.log('info', 'login refused: instance isolated', { peer: this.peer, principal: step.principal, listener: this.#listener.name });
      return this.close();
    }
    if (step.kind !== 'failed') {
      const reply = (step.body as { authBytes: Buffer }).authBytes;
      const size = Buffer.alloc(4);
      size.writeInt32BE(reply.length);
      this.#socket.write(Buffer.concat([size, reply]));
    }
    if (step.kind === 'authenticated') this.#rawSasl = false;
    this.#afterSaslStep(step);
  }

  /** The session lifetime a successful SaslAuthenticate v1+ answer carries; 0 when sessions do not expire. */
  #sessionLifetimeMs(): number {
    return settingNumber(this.#ctx.config, 'connections.max.reauth.ms');
  }

  /** The final answer of a successful exchange tells the client how long its session lasts (v1+). */
  #withLifetime(apiKey: number, apiVersion: number, step: ReturnType<SaslAuthenticator['handle']>): unknown {
    if (step.kind !== 'authenticated' || apiKey !== ApiKey.SaslAuthenticate || apiVersion < 1) return step.body;
    return { ...(step.body as object), sessionLifetimeMs: BigInt(this.#sessionLifetimeMs()) };
  }

  /**
   * KIP-368 re-authentication on an authenticated connection: a new SaslHandshake (v1) and
   * SaslAuthenticate exchange with the same mechanism, which must end with the same principal;
   * the session then starts again. Refused (connection closed) when sessions do not expire, as
   * Kafka has no re-authentication then.
   */
  #reauthenticate(apiKey: number, apiVersion: number, correlationId: number, body: unknown): void {
    if (this.#sessionLifetimeMs() <= 0) return this.close('connection closed: SASL request after authentication', { apiKey });
    if (apiKey === ApiKey.SaslHandshake) {
      const mechanism = (body as { mechanism: string }).mechanism;
      if (this.#reauth !== null || apiVersion < 1) {
        this.#send(apiKey, apiVersion, correlationId, { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: this.#security.mechanisms });
        return this.#failReauth(`re-authentication must start with one SaslHandshake v1, got v${apiVersion}`);
      }
      if (mechanism !== this.#mechanism) {
        // As Kafka 4.4 does: the handshake is answered as usual, then the connection is closed.
        this.#send(apiKey, apiVersion, correlationId, { errorCode: 0, mechanisms: this.#security.mechanisms });
        return this.#failReauth(`re-authentication with ${mechanism}, but the session was authenticated with ${this.#mechanism}`);
      }
      this.#reauth = new SaslAuthenticator(this.#security, this.#ctx.credentials, this.#ctx.fakeSaltKey);
      const step = this.#reauth.handle(apiKey, apiVersion, body);
      this.#send(apiKey, apiVersion, correlationId, step.body);
      if (step.kind === 'failed') this.#failReauth(step.reason);
      return;
    }
    if (this.#reauth === null) {
      this.#send(apiKey, apiVersion, correlationId, { errorCode: ErrorCode.ILLEGAL_SASL_STATE, errorMessage: 'SaslAuthenticate without SaslHandshake', authBytes: Buffer.alloc(0), ...(apiVersion >= 1 ? { sessionLifetimeMs: 0n } : {}) });
      return this.#failReauth('SaslAuthenticate without SaslHandshake on an authenticated connection');
    }
    const step = this.#reauth.handle(apiKey, apiVersion, body);
    if (step.kind === 'authenticated' && step.principal !== this.#principal) {
      this.#send(apiKey, apiVersion, correlationId, { errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, errorMessage: `Cannot change principals during re-authentication from ${kafkaPrincipalText(this.#principal)}: ${kafkaPrincipalText(step.principal)}`, authBytes: Buffer.alloc(0), ...(apiVersion >= 1 ? { sessionLifetimeMs: 0n } : {}) });
      return this.#failReauth(`principal changed from ${this.#principal} to ${step.principal}`);
    }
    this.#send(apiKey, apiVersion, correlationId, this.#withLifetime(apiKey, apiVersion, step));
    if (step.kind === 'failed') return this.#failReauth(step.reason);
    if (step.kind === 'authenticated') {
      this.#reauth = null;
      this.#sessionEndsAt = Date.now() + this.#sessionLifetimeMs();
      this.#ctx.logger.log('info', 'client re-authenticated', { peer: this.peer, principal: step.principal, mechanism: step.mechanism, listener: this.#listener.name });
    }
  }

  #failReauth(reason: string): void {
    this.#ctx.failedLogins.recordFailure(this.#socket.remoteAddress ?? '');
    this.#ctx.metrics.failedAuthentications.inc();
    this.#ctx.logger.log('warn', 're-authentication failed', { peer: this.peer, listener: this.#listener.name, principal: this.#principal, reason });
    this.#closing = true;
    setTimeout(() => this.close(), settingNumber(this.#ctx.config, 'connection.failed.authentication.delay.ms')).unref();
  }

  #afterSaslStep(step: ReturnType<SaslAuthenticator['handle']>): void {
    if (step.kind === 'authenticated') {
      this.#authenticated = true;
      this.#principal = step.principal;
      this.#mechanism = step.mechanism;
      const lifetime = this.#sessionLifetimeMs();
      if (lifetime > 0) this.#sessionEndsAt = Date.now() + lifetime;
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

  #send(apiKey: number, apiVersion: number, correlationId: number, body: unknown): void {
    if (this.#closed) return;
    const chunks = encodeResponse(apiKey, apiVersion, correlationId, body);
    // Fetch answers carry read buffers lent by the pool: given back once the kernel has the bytes
    // (the last chunk's write callback; on an error they are left to the GC).
    const pool = apiKey === ApiKey.Fetch ? this.#ctx.readBuffers : undefined;
    const lent = pool?.lentIn(chunks) ?? [];
    // cork/uncork hands the chunks to the kernel together without joining them in memory.
    this.#socket.cork();
    for (let i = 0; i < chunks.length; i++) {
      if (i === chunks.length - 1 && lent.length > 0) this.#socket.write(chunks[i]!, (err) => void (err ? undefined : pool!.giveBack(lent)));
      else this.#socket.write(chunks[i]!);
    }
    this.#socket.uncork();
  }
}

/**
 * The error response for a request whose handler threw: the Kafka error the exception names (a
 * LogError's code, e.g. KAFKA_STORAGE_ERROR) or UNKNOWN_SERVER_ERROR, whose message Kafka leaves
 * null. Null when even that cannot be encoded (the connection is then closed).
 */
function errorAnswer(request: DecodedRequest, err: unknown): unknown {
  const code = typeof (err as { errorCode?: unknown })?.errorCode === 'number' ? (err as { errorCode: number }).errorCode : ErrorCode.UNKNOWN_SERVER_ERROR;
  const message = code === ErrorCode.UNKNOWN_SERVER_ERROR || !(err instanceof Error) ? null : err.message;
  try {
    const body = errorResponseFor(request, code, message);
    // Encoded once here so that a body the codec refuses closes the connection instead of throwing later.
    encodeResponse(request.api.apiKey, request.apiVersion, 0, body);
    return body;
  } catch {
    return null;
  }
}

/** A principal as Kafka's message about it prints it ("User.alice" for User:alice). */
function kafkaPrincipalText(principal: string): string {
  const colon = principal.indexOf(':');
  return colon < 0 ? principal : `${principal.slice(0, colon)}.${principal.slice(colon + 1)}`;
}
