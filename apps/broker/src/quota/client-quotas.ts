import { isIP } from 'node:net';
import { normaliseAddress } from '../net/connection-limits.ts';
import { resolveHost } from '../net/resolve-host.ts';
import { SampledRate, throttleMs } from './rate.ts';
import { entityKey, type QuotaEntity, type QuotaKey, type QuotaStore } from './quota-store.ts';

/** Kafka's order of precedence: the first entity that has the quota decides. */
function candidates(user: string, clientId: string): QuotaEntity[] {
  return [
    { user, clientId },
    { user, clientId: null },
    { user },
    { user: null, clientId },
    { user: null, clientId: null },
    { user: null },
    { clientId },
    { clientId: null },
  ];
}

export interface QuotaDecision {
  /** The entity whose quota applies (its metrics and rate are shared by every client it covers). */
  entity: QuotaEntity;
  bound: number;
}

/**
 * Client quotas as Kafka enforces them: each request's bytes (or handler time) are recorded against
 * the entity whose quota applies, and a client over its bound is told to wait (`throttle_time_ms`)
 * while the broker stops reading from its connection for that long.
 */
export class ClientQuotas {
  readonly #store: QuotaStore;
  readonly #rates = new Map<string, SampledRate>();
  readonly #samples: number;
  readonly #sampleMs: number;
  readonly #now: () => number;
  /** Resolved quota per user/client/key, valid while the store's version is unchanged (the hot path). */
  readonly #resolved = new Map<string, { version: number; decision: QuotaDecision | null; rateId: string | null }>();

  /** The address each host-named `ip` entity resolved to (null: it did not resolve). */
  readonly #hosts = new Map<string, string | null>();
  readonly #resolve: (host: string) => Promise<string>;

  constructor(store: QuotaStore, options: { samples?: number; sampleMs?: number; now?: () => number; resolve?: (host: string) => Promise<string> } = {}) {
    this.#store = store;
    this.#resolve = options.resolve ?? resolveHost;
    this.#samples = options.samples ?? 11;
    this.#sampleMs = options.sampleMs ?? 1000;
    this.#now = options.now ?? Date.now;
  }

  /** Which quota applies to a user/client pair (user is the principal's name; '' when anonymous). */
  resolve(user: string, clientId: string, key: QuotaKey): QuotaDecision | null {
    return this.#cached(user, clientId, key).decision;
  }

  #cached(user: string, clientId: string, key: QuotaKey): { decision: QuotaDecision | null; rateId: string | null } {
    const cacheKey = `${key}\u0000${user}\u0000${clientId}`;
    const hit = this.#resolved.get(cacheKey);
    if (hit && hit.version === this.#store.version) return hit;
    const decision = this.#resolveUncached(user, clientId, key);
    // One rate per resolved entity; a <default> part stands for each actual user/client separately.
    const rateId = decision && `${key}\u0000${entityKey(decision.entity)}\u0000${decision.entity.user === null ? user : ''}\u0000${decision.entity.clientId === null ? clientId : ''}`;
    const entry = { version: this.#store.version, decision, rateId };
    if (this.#resolved.size > 100_000) this.#resolved.clear();
    this.#resolved.set(cacheKey, entry);
    return entry;
  }

  #resolveUncached(user: string, clientId: string, key: QuotaKey): QuotaDecision | null {
    const entries = this.#store.all();
    for (const entity of candidates(user, clientId)) {
      const found = entries.find((e) => entityKey(e.entity) === entityKey(entity) && e.values[key] !== undefined);
      if (found) return { entity, bound: found.values[key]! };
    }
    return null;
  }

  /**
   * controller_mutation_rate (KIP-599): partitions created or deleted per second. `wouldExceed`
   * asks before a mutation (new request versions are refused with THROTTLING_QUOTA_EXCEEDED once
   * the client is over its rate); `record` counts a mutation that happened and answers the throttle.
   */
  mutationThrottle(user: string, clientId: string): number {
    const { decision, rateId } = this.#cached(user, clientId, 'controller_mutation_rate');
    if (!decision || !rateId) return 0;
    const rate = this.#rates.get(rateId);
    return rate ? throttleMs(rate.rate(this.#now()), decision.bound, rate.windowMs) : 0;
  }

  /** A consumer group's own quota value (consumer_byte_rate or group_max_members), if it has one. */
  groupQuota(groupId: string, key: 'consumer_byte_rate' | 'group_max_members'): number | null {
    return this.#store.all().find((e) => e.entity.group === groupId)?.values[key] ?? null;
  }

  /** Records a group member's fetched bytes against the group's shared rate; returns the throttle. */
  recordGroup(groupId: string, bytes: number): number {
    const bound = this.groupQuota(groupId, 'consumer_byte_rate');
    if (bound === null) return 0;
    const id = `group\u0000${groupId}`;
    let rate = this.#rates.get(id);
    if (!rate) this.#rates.set(id, (rate = new SampledRate(this.#samples, this.#sampleMs)));
    const now = this.#now();
    rate.record(bytes, now);
    return throttleMs(rate.rate(now), bound, rate.windowMs);
  }

  /**
   * The address an `ip` entity's name stands for, as Kafka's InetAddress.getByName finds it (a
   * literal as it is; a host name's first address, IPv4 first), or null when it does not resolve.
   * AlterClientQuotas resolves a name here before it stores the quota, so the quota applies from
   * its answer on; the result is kept (Kafka resolves a name once, when its quota changes).
   */
  async resolveIp(name: string): Promise<string | null> {
    if (isIP(name) !== 0) return normaliseAddress(name);
    const address = await this.#resolve(name).then(normaliseAddress, () => null);
    this.#hosts.set(name, address);
    return address;
  }

  /**
   * KIP-612's per-address connection rate, as Kafka's ConnectionQuotas checks it on accept: the
   * address's own `ip` quota, else the `<default>` ip quota, else none. A connection within the
   * rate counts; one past it does not count (Kafka takes it back) and gets the time the client is
   * to be held before its connection is closed (at most one quota sample, as Kafka bounds it).
   * `ip` is the peer's address as accepted (IPv4-mapped IPv6 addresses are compared as IPv4). An
   * entity named by a host name applies to the address the name resolved to; one this broker has
   * not resolved yet (set through another broker of the cluster) is resolved now and applies from
   * the next connection on.
   */
  recordConnection(ip: string): { throttleMs: number; bound: number | null } {
    const address = normaliseAddress(ip);
    let bound: number | undefined;
    let fallback: number | undefined;
    for (const e of this.#store.all()) {
      if (e.entity.ip === undefined || e.values.connection_creation_rate === undefined) continue;
      if (e.entity.ip === null) fallback = e.values.connection_creation_rate;
      else if (this.#addressOf(e.entity.ip) === address) bound = e.values.connection_creation_rate;
    }
    bound ??= fallback;
    if (bound === undefined) return { throttleMs: 0, bound: null };
    const id = `ip\u0000${address}`;
    let rate = this.#rates.get(id);
    if (!rate) this.#rates.set(id, (rate = new SampledRate(this.#samples, this.#sampleMs)));
    const now = this.#now();
    rate.record(1, now);
    const throttle = Math.min(throttleMs(rate.rate(now), bound, rate.windowMs), this.#sampleMs);
    if (throttle > 0) rate.record(-1, now);
    return { throttleMs: throttle, bound };
  }

  #addressOf(name: string): string | null | undefined {
    if (isIP(name) !== 0) return normaliseAddress(name);
    if (!this.#hosts.has(name)) {
      this.#hosts.set(name, null);
      void this.resolveIp(name);
    }
    return this.#hosts.get(name);
  }

  /** Records usage and returns how long the client must wait (0 when within its quota or unbounded). */
  record(user: string, clientId: string, key: QuotaKey, amount: number): { throttleMs: number; decision: QuotaDecision | null } {
    const { decision, rateId: id } = this.#cached(user, clientId, key);
    if (!decision || !id) return { throttleMs: 0, decision: null };
    let rate = this.#rates.get(id);
    if (!rate) this.#rates.set(id, (rate = new SampledRate(this.#samples, this.#sampleMs)));
    const now = this.#now();
    rate.record(amount, now);
    return { throttleMs: throttleMs(rate.rate(now), decision.bound, rate.windowMs), decision };
  }
}
