import { ErrorCode } from '@tributary/protocol';
import { setTimeout as sleep } from 'node:timers/promises';
import { AdminError, type AdminConnectOptions } from './admin-types.ts';
import { BrokerClient } from './broker-client.ts';
import { ConnectionError } from './connection.ts';

/**
 * Kafka errors that mean "ask another broker" (or the same one a moment later): the request went to
 * a broker that is not, or no longer, the controller / the group's coordinator / the leader.
 */
export const ROUTING_ERRORS = new Set<number>([ErrorCode.NOT_CONTROLLER, ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.LEADER_NOT_AVAILABLE, ErrorCode.BROKER_NOT_AVAILABLE]);
/** Bounded: 8 attempts with backoff 200 ms … 2 s ride out a controller or leader election (≈ 10 s). */
const ROUTE_ATTEMPTS = 8;
const backoffMs = (attempt: number) => Math.min(100 * 2 ** attempt, 2_000);

export interface BrokerAddress {
  nodeId: number;
  host: string;
  port: number;
}

/** How one attempt on one broker ended: with its value, or with "route again". */
type Attempt<T> = { ok: true; value: T } | { ok: false };
/** Whether a failure of one attempt means "route again" (else it is the caller's answer). */
type Reroutable = (err: unknown, client: BrokerClient | null) => boolean;

/**
 * Which broker of a cluster answers which request, as Kafka's admin client decides it: topic
 * creation, deletion, partition growth and reassignments go to the controller (Metadata's
 * controllerId), group calls to the group's coordinator (FindCoordinator), offsets, records and
 * sizes to each partition's leader. Connections to brokers other than the bootstrap one are opened
 * on first use with the same TLS/SASL options and kept. Against a single broker every route leads
 * back to the bootstrap connection.
 *
 * Every routed call runs in one retry loop (`#rounds`): a NOT_CONTROLLER / NOT_COORDINATOR /
 * NOT_LEADER_OR_FOLLOWER answer or a lost peer connection re-reads the routing and tries again,
 * bounded, and only what is still pending is sent again.
 */
export class ClusterRouter {
  readonly bootstrap: BrokerClient;
  readonly #options: AdminConnectOptions;
  /** Connections to the cluster's other brokers by host:port, opened on first use. */
  readonly #peers = new Map<string, Promise<BrokerClient>>();

  constructor(bootstrap: BrokerClient, options: AdminConnectOptions) {
    this.bootstrap = bootstrap;
    this.#options = options;
  }

  close(): void {
    this.bootstrap.close();
    for (const peer of this.#peers.values()) void peer.then((c) => c.close(), () => undefined);
    this.#peers.clear();
  }

  /** The client for a broker address: the bootstrap connection, or a cached peer. */
  clientAt(address: string): Promise<BrokerClient> {
    if (address === this.bootstrap.address) return Promise.resolve(this.bootstrap);
    let peer = this.#peers.get(address);
    if (!peer) {
      peer = BrokerClient.connect(address, this.#options);
      this.#peers.set(address, peer);
      peer.catch(() => this.#peers.delete(address));
    }
    return peer;
  }

  /** The client for a broker id, from `brokers` or else from a fresh Metadata. */
  async clientFor(nodeId: number, brokers?: BrokerAddress[]): Promise<BrokerClient> {
    const known = brokers ?? (await this.bootstrap.metadata([])).brokers;
    const b = known.find((x) => x.nodeId === nodeId);
    if (!b) throw new AdminError(ErrorCode.BROKER_NOT_AVAILABLE, `broker ${nodeId}`, 'not in the cluster metadata');
    return this.clientAt(`${b.host}:${b.port}`);
  }

  async controller(): Promise<BrokerClient> {
    const md = await this.bootstrap.metadata([]);
    if (md.controllerId < 0) throw new AdminError(ErrorCode.NOT_CONTROLLER, 'cluster', 'no controller elected yet');
    return this.clientFor(md.controllerId, md.brokers);
  }

  async coordinator(groupId: string): Promise<BrokerClient> {
    const c = await this.bootstrap.findCoordinator(groupId, 'group');
    return this.clientAt(`${c.host}:${c.port}`);
  }

  /** Leader of every partition of a topic (-1 while none), with the brokers to reach them. */
  async leaders(topic: string): Promise<{ leaders: Map<number, number>; brokers: BrokerAddress[] }> {
    const md = await this.bootstrap.metadata([topic]);
    return { leaders: new Map((md.topics[0]?.partitions ?? []).map((p) => [p.partition, p.leader])), brokers: md.brokers };
  }

  /** Whether a failure means "route again": a routing error, or a lost connection to a peer. */
  shouldReroute(err: unknown, client: BrokerClient | null): boolean {
    if (err instanceof AdminError) return ROUTING_ERRORS.has(err.code);
    // The bootstrap connection itself gone: nothing to reroute through.
    return err instanceof ConnectionError && !this.bootstrap.closed && client !== this.bootstrap;
  }

  /** Drops a peer whose connection failed so that the next attempt reconnects. */
  #forget(client: BrokerClient | null): void {
    if (!client || client === this.bootstrap) return;
    this.#peers.delete(client.address);
    client.close();
  }

  /**
   * The retry loop every routed call uses. Each round gets what is still pending (and whether it is
   * the last round, which must settle everything) and returns what must be tried again; rounds are
   * spaced by a growing backoff.
   */
  async #rounds<K>(items: K[], round: (pending: K[], last: boolean) => Promise<K[]>): Promise<void> {
    let pending = items;
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 0) await sleep(backoffMs(attempt - 1));
      pending = await round(pending, attempt + 1 >= ROUTE_ATTEMPTS);
    }
  }

  /** One attempt on the broker `target` picks; a reroutable failure before the last round is "again". */
  async #attempt<T>(target: () => Promise<BrokerClient>, call: (client: BrokerClient) => Promise<T>, last: boolean, reroutable: Reroutable): Promise<Attempt<T>> {
    let client: BrokerClient | null = null;
    try {
      client = await target();
      return { ok: true, value: await call(client) };
    } catch (err) {
      if (last || !reroutable(err, client)) throw err;
      if (err instanceof ConnectionError) this.#forget(client);
      return { ok: false };
    }
  }

  /** `call` on the broker `target` picks, picked again after routing errors. */
  async routed<T>(target: () => Promise<BrokerClient>, call: (client: BrokerClient) => Promise<T>, reroutable: Reroutable = (err, c) => this.shouldReroute(err, c)): Promise<T> {
    // The loop ends only after an attempt answered: the last round answers or throws.
    let value: T | undefined;
    await this.#rounds([call], async (pending, last) => {
      const result = await this.#attempt(target, call, last, reroutable);
      if (!result.ok) return pending;
      value = result.value;
      return [];
    });
    return value as T;
  }

  /**
   * Per-resource controller requests: only the resources answered NOT_CONTROLLER are sent again (the
   * others are done: sending a creation again would answer TOPIC_ALREADY_EXISTS).
   */
  async onController<K>(items: K[], keyOf: (item: K) => string, send: (client: BrokerClient, items: K[]) => Promise<Map<string, AdminError | null>>): Promise<Map<string, AdminError | null>> {
    const out = new Map<string, AdminError | null>();
    await this.#rounds(items, async (pending, last) => {
      const sent = await this.#attempt(() => this.controller(), (c) => send(c, pending), last, (err, c) => this.shouldReroute(err, c));
      if (!sent.ok) return pending;
      for (const [key, err] of sent.value) if (last || err?.code !== ErrorCode.NOT_CONTROLLER) out.set(key, err);
      return pending.filter((item) => !out.has(keyOf(item)));
    });
    return out;
  }

  /**
   * Per-partition requests to each partition's leader, one request per leader. `send` returns the
   * items to send again (partitions whose own answer was a routing error); `unknown` takes the items
   * of partitions the topic does not have.
   */
  async onLeaders<P>(topic: string, items: P[], partitionOf: (item: P) => number, send: (client: BrokerClient, items: P[], last: boolean) => Promise<P[]>, unknown?: (item: P) => void): Promise<void> {
    await this.#rounds(items, async (pending, last) => {
      const { leaders, brokers } = await this.leaders(topic);
      const byLeader = new Map<number, P[]>();
      for (const item of pending) {
        const leader = leaders.get(partitionOf(item));
        if (leader === undefined && unknown) unknown(item);
        else byLeader.set(leader ?? -1, [...(byLeader.get(leader ?? -1) ?? []), item]);
      }
      const again = await Promise.all(
        [...byLeader].map(async ([leader, group]) => {
          const target = () => (leader < 0 ? Promise.reject(new AdminError(ErrorCode.LEADER_NOT_AVAILABLE, `${topic}-${partitionOf(group[0]!)}`)) : this.clientFor(leader, brokers));
          const sent = await this.#attempt(target, (c) => send(c, group, last), last, (err, c) => this.shouldReroute(err, c));
          return sent.ok ? sent.value : group;
        }),
      );
      return again.flat();
    });
  }
}
