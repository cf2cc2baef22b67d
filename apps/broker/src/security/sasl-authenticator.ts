import { ApiKey, ErrorCode, passwordMatches, ScramError, ScramServer, type SaslAuthenticateRequest, type SaslHandshakeRequest, type ScramMechanismName } from '@tributary/protocol';
import type { CredentialStore } from './credential-store.ts';
import type { ListenerSecurity, SaslMechanism } from './listener-security.ts';

/** Kafka's generic text: a failed login says nothing about which part was wrong. */
export const AUTH_FAILED_MESSAGE = 'Authentication failed: Invalid username or password';

export type SaslStep =
  | { kind: 'reply'; body: unknown }
  /** Reply, then the connection is authenticated as `principal`. */
  | { kind: 'authenticated'; body: unknown; principal: string; user: string; mechanism: SaslMechanism }
  /** Reply with the error, then close the connection (after the failed-authentication delay). */
  | { kind: 'failed'; body: unknown; reason: string; user: string | null };

/**
 * One connection's SASL state machine on a SASL listener: SaslHandshake picks a mechanism, then
 * SaslAuthenticate carries its tokens (KIP-152 framing; every client we test uses it). Only the
 * token exchange lives here; the connection decides what may be sent before authentication.
 */
export class SaslAuthenticator {
  readonly #security: ListenerSecurity;
  readonly #credentials: CredentialStore;
  readonly #fakeSaltKey: Buffer;
  #mechanism: SaslMechanism | null = null;
  #scram: ScramServer | null = null;

  constructor(security: ListenerSecurity, credentials: CredentialStore, fakeSaltKey: Buffer) {
    this.#security = security;
    this.#credentials = credentials;
    this.#fakeSaltKey = fakeSaltKey;
  }

  handle(apiKey: number, apiVersion: number, body: unknown): SaslStep {
    if (apiKey === ApiKey.SaslHandshake) return this.#handshake(body as SaslHandshakeRequest);
    return this.#authenticate(apiVersion, body as SaslAuthenticateRequest);
  }

  #handshake(req: SaslHandshakeRequest): SaslStep {
    const mechanisms = this.#security.mechanisms;
    if (this.#mechanism !== null) return { kind: 'failed', body: { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms }, reason: 'second SaslHandshake', user: null };
    if (!(mechanisms as string[]).includes(req.mechanism)) return { kind: 'reply', body: { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms } };
    this.#mechanism = req.mechanism as SaslMechanism;
    if (this.#mechanism !== 'PLAIN') this.#scram = new ScramServer(this.#mechanism as ScramMechanismName, (u) => this.#credentials.get(u, this.#mechanism as ScramMechanismName), this.#fakeSaltKey);
    return { kind: 'reply', body: { errorCode: 0, mechanisms } };
  }

  #authenticate(version: number, req: SaslAuthenticateRequest): SaslStep {
    const fail = (reason: string, user: string | null, code: number = ErrorCode.SASL_AUTHENTICATION_FAILED): SaslStep => ({
      kind: 'failed',
      body: { errorCode: code, errorMessage: code === ErrorCode.SASL_AUTHENTICATION_FAILED ? AUTH_FAILED_MESSAGE : reason, authBytes: Buffer.alloc(0), ...(version >= 1 ? { sessionLifetimeMs: 0n } : {}) },
      reason,
      user,
    });
    const ok = (authBytes: Buffer) => ({ errorCode: 0, errorMessage: null, authBytes, ...(version >= 1 ? { sessionLifetimeMs: 0n } : {}) });
    if (this.#mechanism === null) return fail('SaslAuthenticate before SaslHandshake', null, ErrorCode.ILLEGAL_SASL_STATE);
    if (this.#mechanism === 'PLAIN') return this.#plain(req.authBytes, fail, ok);
    const scram = this.#scram!;
    try {
      const { reply, authenticated } = scram.step(req.authBytes);
      if (authenticated === null) return { kind: 'reply', body: ok(reply) };
      return { kind: 'authenticated', body: ok(reply), principal: `User:${authenticated}`, user: authenticated, mechanism: this.#mechanism };
    } catch (err) {
      if (err instanceof ScramError) return fail(err.message, scram.user || null);
      throw err;
    }
  }

  /** RFC 4616: [authzid] NUL authcid NUL passwd, checked against the user's SCRAM credential. */
  #plain(token: Buffer, fail: (reason: string, user: string | null) => SaslStep, ok: (b: Buffer) => unknown): SaslStep {
    const parts = token.toString('utf8').split('\u0000');
    if (parts.length !== 3) return fail('malformed PLAIN token', null);
    const [authzid, user, password] = parts as [string, string, string];
    if (authzid !== '' && authzid !== user) return fail('PLAIN authorization id differs from the user', user);
    for (const m of ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const) {
      const c = this.#credentials.get(user, m);
      if (c) return passwordMatches(m, password, c) ? { kind: 'authenticated', body: ok(Buffer.alloc(0)), principal: `User:${user}`, user, mechanism: 'PLAIN' } : fail('wrong password', user);
    }
    return fail('unknown user', user);
  }
}

/**
 * Failed logins per client address over a one-minute window: past the limit, that address's new
 * SASL attempts are refused until the window ends, so password guessing is slow and cheap to serve.
 */
export class FailedLoginLimiter {
  readonly #max: number;
  readonly #windowMs: number;
  readonly #now: () => number;
  readonly #failures = new Map<string, { since: number; count: number }>();

  constructor(maxPerWindow: number, windowMs = 60_000, now: () => number = Date.now) {
    this.#max = maxPerWindow;
    this.#windowMs = windowMs;
    this.#now = now;
  }

  #entry(host: string) {
    const e = this.#failures.get(host);
    if (e && this.#now() - e.since < this.#windowMs) return e;
    this.#failures.delete(host);
    return null;
  }

  blocked(host: string): boolean {
    return (this.#entry(host)?.count ?? 0) >= this.#max;
  }

  recordFailure(host: string): void {
    const e = this.#entry(host);
    if (e) e.count++;
    else this.#failures.set(host, { since: this.#now(), count: 1 });
    // Bounded memory: forget expired windows once the table grows.
    if (this.#failures.size > 10_000) for (const h of [...this.#failures.keys()]) this.#entry(h);
  }
}
