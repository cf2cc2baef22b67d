import { SampledRate } from '../quota/rate.ts';
import type { GroupConfigStore } from '../config/group-configs.ts';
import { dynamicRate } from '../config/dynamic-broker-configs.ts';

/**
 * Replication throttles as Kafka applies them (KIP-73): a topic names its throttled replicas
 * (`leader.replication.throttled.replicas` / `follower.replication.throttled.replicas`: `*` or
 * `partition:broker` pairs, the broker being the one that applies the throttle), and a broker's
 * `leader.replication.throttled.rate` / `follower.replication.throttled.rate` bound the bytes per
 * second those replicas move. The leader measures what it sends of throttled partitions to
 * followers, the follower what it receives; while the rate over the window (Kafka's
 * replication.quota.window: 11 samples of 1 s) is above the bound, a throttled partition whose
 * follower is not in the ISR gets no data (the leader answers it empty, the follower leaves it out
 * of its fetch). In-sync followers are never held back, so a throttle slows a move, never a
 * producer waiting for acks=all.
 */
export class ReplicationThrottle {
  readonly #o: ThrottleOptions;
  readonly #leader: SampledRate;
  readonly #follower: SampledRate;
  /** Parsed throttled-replica lists by their text (a topic's configs change rarely). */
  readonly #parsed = new Map<string, '*' | Set<number>>();

  constructor(o: ThrottleOptions) {
    this.#o = o;
    this.#leader = new SampledRate(WINDOW_SAMPLES, SAMPLE_MS);
    this.#follower = new SampledRate(WINDOW_SAMPLES, SAMPLE_MS);
  }

  /** Leader side: whether a fetch by follower `replicaId` gets no data of this partition now. */
  leaderHoldsBack(topic: string, partition: number, replicaId: number, now = Date.now()): boolean {
    return this.#holdsBack('leader', topic, partition, replicaId, now);
  }

  /** Leader side: bytes sent to a follower of this partition (counted when the partition is throttled). */
  leaderSent(topic: string, partition: number, bytes: number, now = Date.now()): void {
    if (bytes > 0 && this.#throttled('leader', topic, partition)) this.#leader.record(bytes, now);
  }

  /** Follower side: whether this broker leaves the partition out of its next fetch. */
  followerHoldsBack(topic: string, partition: number, now = Date.now()): boolean {
    return this.#holdsBack('follower', topic, partition, this.#o.nodeId, now);
  }

  /** Follower side: bytes received for this partition. */
  followerReceived(topic: string, partition: number, bytes: number, now = Date.now()): void {
    if (bytes > 0 && this.#throttled('follower', topic, partition)) this.#follower.record(bytes, now);
  }

  /** The bound of a side in bytes/s, null when unset (unthrottled). */
  rate(side: Side): number | null {
    return dynamicRate(this.#o.brokerConfigs, this.#o.nodeId, `${side}.replication.throttled.rate`);
  }

  #holdsBack(side: Side, topic: string, partition: number, replicaId: number, now: number): boolean {
    const bound = this.rate(side);
    if (bound === null || !this.#throttled(side, topic, partition) || this.#o.inIsr(topic, partition, replicaId)) return false;
    return (side === 'leader' ? this.#leader : this.#follower).rate(now) > bound;
  }

  #throttled(side: Side, topic: string, partition: number): boolean {
    const text = this.#o.topicConfigs(topic)?.[`${side}.replication.throttled.replicas`];
    if (text === undefined || text.trim() === '') return false;
    const replicas = this.#replicas(text);
    return replicas === '*' || replicas.has(partition);
  }

  /** The partitions of a throttled-replicas list whose replica is on this broker. */
  #replicas(text: string): '*' | Set<number> {
    let parsed = this.#parsed.get(text);
    if (!parsed) {
      const items = text.split(',').map((s) => s.trim()).filter(Boolean);
      parsed = items.length === 1 && items[0] === '*' ? '*' : new Set(items.map((i) => i.split(':')).filter(([, b]) => Number(b) === this.#o.nodeId).map(([p]) => Number(p)));
      if (this.#parsed.size > 1000) this.#parsed.clear();
      this.#parsed.set(text, parsed);
    }
    return parsed;
  }
}

type Side = 'leader' | 'follower';

export interface ThrottleOptions {
  nodeId: number;
  /** The dynamic broker configs (per broker id and '' for the cluster default). */
  brokerConfigs: GroupConfigStore;
  /** A topic's config overrides (undefined: no such topic). */
  topicConfigs: (topic: string) => Record<string, string> | undefined;
  /** Whether a replica is in the partition's ISR. */
  inIsr: (topic: string, partition: number, replicaId: number) => boolean;
}

// Kafka's replication.quota.window.num and replication.quota.window.size.seconds defaults.
const WINDOW_SAMPLES = 11;
const SAMPLE_MS = 1000;
