import { SampledRate, throttleMs } from '../quota/rate.ts';

/** Kafka's "no limit" for every connection setting (Int.MaxValue). */
export const UNLIMITED = 2 ** 31 - 1;

export interface ListenerLimits {
  /** `listener.name.<listener>.max.connections` */
  maxConnections: number;
  /** `listener.name.<listener>.max.connection.creation.rate` */
  maxConnectionCreationRate: number;
}

export interface ConnectionLimitSettings {
  /** `max.connections`: open connections over every listener but the protected one. */
  maxConnections: number;
  /** `max.connections.per.ip`: open connections from one address. */
  maxConnectionsPerIp: number;
  /** `max.connections.per.ip.overrides`, the names already resolved to addresses. */
  perIpOverrides: ReadonlyMap<string, number>;
  /** `max.connection.creation.rate`: new connections per second over every listener but the protected one. */
  maxConnectionCreationRate: number;
  /** Per-listener limits, by listener name (upper case, as the listener is named). */
  listeners: ReadonlyMap<string, ListenerLimits>;
  /** The inter-broker listener when the broker has more than one: outside the broker-wide limits (KIP-402). */
  protectedListener: string | null;
  /** The quota window (`quota.window.num` samples of `quota.window.size.seconds`). */
  samples: number;
  sampleMs: number;
}

/** Addresses are compared as Kafka's InetAddress does: an IPv4-mapped IPv6 address is the IPv4 one. */
export const normaliseAddress = (ip: string): string => (ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip);

/**
 * The counts and rates behind Kafka's ConnectionQuotas (KIP-308 per-listener limits, KIP-402
 * broker-wide limit with the inter-broker listener protected, KIP-612 creation rates): what the
 * acceptor asks before it takes a connection, and what it counts once it has. Time is passed in,
 * so the rules are tested without a clock.
 */
export class ConnectionLimits {
  readonly #settings: ConnectionLimitSettings;
  #total = 0;
  readonly #perListener = new Map<string, number>();
  readonly #perIp = new Map<string, number>();
  readonly #brokerRate: SampledRate;
  readonly #listenerRates = new Map<string, SampledRate>();

  constructor(settings: ConnectionLimitSettings) {
    this.#settings = settings;
    this.#brokerRate = new SampledRate(settings.samples, settings.sampleMs);
    for (const name of settings.listeners.keys()) this.#listenerRates.set(name, new SampledRate(settings.samples, settings.sampleMs));
  }

  get total(): number {
    return this.#total;
  }

  #protected(listener: string): boolean {
    return this.#settings.protectedListener === listener;
  }

  /**
   * Kafka's recordConnectionAndGetThrottleTimeMs: counts a new connection against the broker-wide
   * rate (not on the protected listener) and the listener's, and answers how long the acceptor must
   * wait before taking it (the longer of the two; at most one quota sample, as Kafka bounds it).
   */
  recordCreation(listener: string, now: number): number {
    let throttle = 0;
    if (!this.#protected(listener)) throttle = this.#record(this.#brokerRate, this.#settings.maxConnectionCreationRate, now);
    const rate = this.#listenerRates.get(listener);
    if (rate) throttle = Math.max(throttle, this.#record(rate, this.#settings.listeners.get(listener)!.maxConnectionCreationRate, now));
    return throttle;
  }

  /** A connection the ip quota turned away is taken back out of the broker and listener rates (Kafka's updateListenerMetrics). */
  unrecordCreation(listener: string, now: number): void {
    if (!this.#protected(listener)) this.#brokerRate.record(-1, now);
    this.#listenerRates.get(listener)?.record(-1, now);
  }

  #record(rate: SampledRate, bound: number, now: number): number {
    rate.record(1, now);
    if (bound >= UNLIMITED) return 0;
    return Math.min(throttleMs(rate.rate(now), bound, rate.windowMs), this.#settings.sampleMs);
  }

  /** Kafka's connectionSlotAvailable: the listener below its own limit, and the broker below max.connections unless the listener is protected. */
  slotAvailable(listener: string): boolean {
    if ((this.#perListener.get(listener) ?? 0) >= (this.#settings.listeners.get(listener)?.maxConnections ?? UNLIMITED)) return false;
    return this.#protected(listener) || this.#total < this.#settings.maxConnections;
  }

  /**
   * Counts an accepted connection. Answers false when its address already had its maximum
   * (`max.connections.per.ip`, or its override): Kafka counts it all the same, closes it at once,
   * and takes it back out when it is closed (`remove`).
   */
  add(listener: string, ip: string): boolean {
    const address = normaliseAddress(ip);
    const count = this.#perIp.get(address) ?? 0;
    this.#perIp.set(address, count + 1);
    this.#perListener.set(listener, (this.#perListener.get(listener) ?? 0) + 1);
    this.#total++;
    return count < (this.#settings.perIpOverrides.get(address) ?? this.#settings.maxConnectionsPerIp);
  }

  remove(listener: string, ip: string): void {
    const address = normaliseAddress(ip);
    const count = this.#perIp.get(address) ?? 0;
    if (count <= 1) this.#perIp.delete(address);
    else this.#perIp.set(address, count - 1);
    this.#perListener.set(listener, Math.max(0, (this.#perListener.get(listener) ?? 0) - 1));
    this.#total = Math.max(0, this.#total - 1);
  }

  /** Kafka's maxConnectionsExceeded: past max.connections (only the protected listener can take it there), a connection of this listener must go. */
  exceeded(listener: string): boolean {
    return this.#total > this.#settings.maxConnections && !this.#protected(listener);
  }
}

/**
 * `max.connections.per.ip.overrides` as Kafka parses it (ConfigDef's map form: `host:count`
 * pairs separated by commas, spaces around them ignored). Answers the pairs, or the reason the text
 * is not such a list.
 */
export function parsePerIpOverrides(text: string): { ok: true; overrides: [string, number][] } | { ok: false; reason: string } {
  const overrides: [string, number][] = [];
  if (text.trim() === '') return { ok: true, overrides };
  for (const part of text.split(',')) {
    const colon = part.lastIndexOf(':');
    const host = part.slice(0, colon).trim();
    const count = part.slice(colon + 1).trim();
    if (colon <= 0 || host === '' || !/^\d+$/.test(count) || Number(count) > UNLIMITED) return { ok: false, reason: `"${part.trim()}" is not host:count` };
    overrides.push([host, Number(count)]);
  }
  return { ok: true, overrides };
}
