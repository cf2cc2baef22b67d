import { ApiKey, ScramClient, type SaslAuthenticateResponse, type SaslHandshakeResponse } from '@tributary/protocol';
import { BrokerConnection, ConnectionError } from '@tributary/kafka-admin';

/**
 * A raw Kafka client for the differential suite: one connection, requests encoded by libs/protocol's
 * generated codecs exactly as given (no version negotiation, no retries, no interpretation), the
 * decoded response body returned as it came. A connection the broker closes, or a request it
 * never answers, is an outcome too: Kafka closes the connection on requests it cannot parse.
 */
export type Outcome = { kind: 'response'; body: unknown } | { kind: 'closed' } | { kind: 'timeout' } | { kind: 'undecodable'; message: string };

export interface SaslLogin {
  mechanism: 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
  username: string;
  password: string;
}

/** Every (apiKey, version) a client sent, per target: the suite checks it covered what the broker advertises. */
export const sent = new Map<string, Set<string>>();

export class RawClient {
  readonly #conn: BrokerConnection;
  readonly #target: string;

  private constructor(conn: BrokerConnection, target: string) {
    this.#conn = conn;
    this.#target = target;
  }

  /** `target` names the broker in the coverage record ('kafka' or 'tributary'). */
  static async connect(address: string, target: string, options: { timeoutMs?: number; sasl?: SaslLogin } = {}): Promise<RawClient> {
    const i = address.lastIndexOf(':');
    const conn = await BrokerConnection.open(address.slice(0, i), Number(address.slice(i + 1)), 'conformance', options.timeoutMs ?? 15_000);
    const client = new RawClient(conn, target);
    if (options.sasl) await client.login(options.sasl);
    return client;
  }

  /** SaslHandshake v1 + SaslAuthenticate v2 with SCRAM; throws when the broker refuses. */
  async login(sasl: SaslLogin): Promise<void> {
    const hs = await this.request<SaslHandshakeResponse>(ApiKey.SaslHandshake, 1, { mechanism: sasl.mechanism });
    if (hs.errorCode !== 0) throw new Error(`SaslHandshake error ${hs.errorCode}`);
    const scram = new ScramClient(sasl.mechanism, sasl.username, sasl.password);
    const first = await this.request<SaslAuthenticateResponse>(ApiKey.SaslAuthenticate, 2, { authBytes: scram.first() });
    if (first.errorCode !== 0) throw new Error(`SaslAuthenticate error ${first.errorCode}`);
    const final = await this.request<SaslAuthenticateResponse>(ApiKey.SaslAuthenticate, 2, { authBytes: scram.final(first.authBytes) });
    if (final.errorCode !== 0) throw new Error(`SaslAuthenticate error ${final.errorCode}`);
    scram.verify(final.authBytes);
  }

  /** Sends one request and reports what happened, whatever it was. */
  async send(apiKey: number, version: number, body: unknown): Promise<Outcome> {
    let set = sent.get(this.#target);
    if (!set) sent.set(this.#target, (set = new Set()));
    set.add(`${apiKey}:${version}`);
    try {
      return { kind: 'response', body: await this.#conn.send(apiKey, version, body) };
    } catch (err) {
      if (err instanceof ConnectionError) return { kind: err.code === 'timeout' ? 'timeout' : 'closed' };
      return { kind: 'undecodable', message: (err as Error).message };
    }
  }

  /** Sends one request that must be answered; throws otherwise (for set-up steps). */
  async request<T>(apiKey: number, version: number, body: unknown): Promise<T> {
    const o = await this.send(apiKey, version, body);
    if (o.kind !== 'response') throw new Error(`API ${apiKey} v${version}: ${o.kind}${o.kind === 'undecodable' ? `: ${o.message}` : ''}`);
    return o.body as T;
  }

  get closed(): boolean {
    return this.#conn.closed;
  }

  close(): void {
    this.#conn.close();
  }
}
