import { AdminError, ConnectionError, KafkaAdminClient } from '@tributary/kafka-admin';
import { ErrorCode, saltedPassword } from '@tributary/protocol';
import { MESSAGE_PRINCIPAL_PREFIX } from '@tributary/contracts';
import type { SecretBox } from '@tributary/db';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiError } from '../errors.ts';
import type { InstanceRow, Principal } from '../store/types.ts';

/**
 * The API reaches an instance's brokers for message reads and writes **as a Kafka principal of
 * the caller**, never as the operator's super user, so the brokers' own ACL checks decide what
 * the caller may read or write, exactly as for any Kafka client (docs/ARCHITECTURE.md, "Messages
 * over HTTP"). Every API key has its own principal, `User:tributary-api.<key id>`; the instance's
 * owner grants it ACLs like any other principal (POST /v1/instances/{id}/acls).
 *
 * Its SCRAM password is never stored: it is derived from the deployment's secret key, the instance
 * and the principal (SecretBox.derive), so every API process computes the same one. The first login
 * that fails provisions the credential through the instance's internal listener (the only thing
 * the API does there) and logs in again; a key rotation or a wiped broker re-provisions the same way.
 */
export const kafkaUserOf = (p: Principal): string => `${MESSAGE_PRINCIPAL_PREFIX}${p.keyId}`;

const MECHANISM = 'SCRAM-SHA-512' as const;
/** Kafka's minimum for SCRAM-SHA-512: the login's PBKDF2 is paid once per pooled connection. */
const ITERATIONS = 4096;
const IDLE_MS = 60_000;
const PROVISION_WAIT_MS = 15_000;

export interface InstanceEndpoints {
  /** The client endpoint, where users log in with SCRAM and their ACLs apply. */
  sasl: string[];
  /** The trusted internal listener: used only to provision API principals' credentials. */
  internal: string[];
}

const split = (s: string | null) => (s ?? '').split(',').map((x) => x.trim()).filter(Boolean);

/** Where the API reaches an instance; 409 when it has no SASL listener yet. */
export function endpointsOf(instance: InstanceRow): InstanceEndpoints {
  const sasl = split(instance.clientBootstrapServers);
  const internal = split(instance.internalBootstrapServers);
  if (sasl.length === 0 || internal.length === 0) throw new ApiError('instance-not-running', `instance is ${instance.phase}; its brokers are not reachable yet`);
  return { sasl, internal };
}

interface Pooled { client: Promise<KafkaAdminClient>; lastUsed: number; inUse: number }

export class PrincipalSessions {
  readonly #secrets: SecretBox;
  readonly #pool = new Map<string, Pooled>();
  readonly #sweeper: NodeJS.Timeout;

  constructor(secrets: SecretBox) {
    this.#secrets = secrets;
    this.#sweeper = setInterval(() => this.#sweep(), 10_000).unref();
  }

  credentials(instanceId: string, user: string): { password: string; salt: Buffer } {
    const password = this.#secrets.derive(`kafka-principal:${instanceId}:${user}`).toString('base64url');
    const salt = this.#secrets.derive(`kafka-principal-salt:${instanceId}:${user}`).subarray(0, 16);
    return { password, salt };
  }

  /**
   * Runs `use` on a connection to the instance logged in as the caller's principal (pooled per
   * instance and principal; closed after a minute unused). A lost connection is dropped from the pool.
   */
  async with<T>(instance: InstanceRow, principal: Principal, use: (client: KafkaAdminClient, user: string) => Promise<T>): Promise<T> {
    const user = kafkaUserOf(principal);
    const endpoints = endpointsOf(instance);
    const key = `${instance.id}|${user}|${endpoints.sasl.join(',')}`;
    let entry = this.#pool.get(key);
    if (!entry) {
      entry = { client: this.#login(instance.id, user, endpoints), lastUsed: Date.now(), inUse: 0 };
      this.#pool.set(key, entry);
      entry.client.catch(() => this.#pool.delete(key));
    }
    entry.inUse++;
    try {
      const client = await entry.client;
      return await use(client, user);
    } catch (err) {
      if (err instanceof ConnectionError) {
        this.#pool.delete(key);
        void entry.client.then((c) => c.close(), () => undefined);
      }
      throw err;
    } finally {
      entry.inUse--;
      entry.lastUsed = Date.now();
    }
  }

  async #connect(address: string, user: string, password: string): Promise<KafkaAdminClient> {
    return KafkaAdminClient.connect(address, { clientId: 'tributary-api-messages', timeoutMs: 10_000, sasl: { mechanism: MECHANISM, username: user, password } });
  }

  async #tryLogin(endpoints: InstanceEndpoints, user: string, password: string): Promise<KafkaAdminClient | 'denied'> {
    const failures: string[] = [];
    for (const address of endpoints.sasl) {
      try {
        return await this.#connect(address, user, password);
      } catch (err) {
        if (err instanceof AdminError && err.code === ErrorCode.SASL_AUTHENTICATION_FAILED) return 'denied';
        failures.push(`${address}: ${(err as Error).message}`);
      }
    }
    throw new ApiError('instance-unreachable', `no broker of the instance answered (${failures.join('; ')})`);
  }

  async #login(instanceId: string, user: string, endpoints: InstanceEndpoints): Promise<KafkaAdminClient> {
    const { password, salt } = this.credentials(instanceId, user);
    const first = await this.#tryLogin(endpoints, user, password);
    if (first !== 'denied') return first;
    await this.#provision(endpoints, user, password, salt);
    // Brokers of a cluster learn credentials through etcd's watch a moment after the write: wait
    // (bounded) until every listed broker accepts them, since requests go on to partition leaders.
    const deadline = Date.now() + PROVISION_WAIT_MS;
    const pending = new Set(endpoints.sasl);
    let client: KafkaAdminClient | null = null;
    for (let wait = 50; ; wait = Math.min(wait * 2, 1_000)) {
      for (const address of [...pending]) {
        try {
          const c = await this.#connect(address, user, password);
          pending.delete(address);
          if (client) c.close();
          else client = c;
        } catch (err) {
          if (!(err instanceof AdminError && err.code === ErrorCode.SASL_AUTHENTICATION_FAILED)) pending.delete(address); // unreachable: not ours to wait for
        }
      }
      if (pending.size === 0 && client) return client;
      if (pending.size === 0) throw new ApiError('instance-unreachable', `no broker of the instance answered after provisioning ${user}`);
      if (Date.now() > deadline) {
        client?.close();
        throw new ApiError('instance-unreachable', `the brokers did not accept the credentials of ${user} within ${PROVISION_WAIT_MS / 1000} s`);
      }
      await sleep(wait);
    }
  }

  async #provision(endpoints: InstanceEndpoints, user: string, password: string, salt: Buffer): Promise<void> {
    const failures: string[] = [];
    for (const address of endpoints.internal) {
      let admin: KafkaAdminClient | null = null;
      try {
        admin = await KafkaAdminClient.connect(address, { clientId: 'tributary-api-provision', timeoutMs: 10_000 });
        const result = await admin.upsertScramCredentials([{ user, mechanism: MECHANISM, iterations: ITERATIONS, salt, saltedPassword: saltedPassword(MECHANISM, password, salt, ITERATIONS) }]);
        const err = result.get(user);
        if (err) throw err;
        return;
      } catch (err) {
        failures.push(`${address}: ${(err as Error).message}`);
      } finally {
        admin?.close();
      }
    }
    throw new ApiError('instance-unreachable', `could not provision the API's principal on the instance (${failures.join('; ')})`);
  }

  #sweep(): void {
    const now = Date.now();
    for (const [key, entry] of this.#pool) {
      if (entry.inUse === 0 && now - entry.lastUsed > IDLE_MS) {
        this.#pool.delete(key);
        void entry.client.then((c) => c.close(), () => undefined);
      }
    }
  }

  close(): void {
    clearInterval(this.#sweeper);
    for (const entry of this.#pool.values()) void entry.client.then((c) => c.close(), () => undefined);
    this.#pool.clear();
  }
}
