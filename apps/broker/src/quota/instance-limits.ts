import { ErrorCode } from '@tributary/protocol';
import type { BrokerConfig } from '../config/broker-config.ts';
import type { BrokerContext } from '../handlers/context.ts';
import { SampledRate, throttleMs } from './rate.ts';

/**
 * What the user bought, enforced in the data plane: the operator sets these `tributary.instance.*`
 * settings from the instance spec. -1 means unlimited. Counts refuse the request that would go past
 * them with POLICY_VIOLATION and a message naming the limit; bandwidth is throttled, never dropped;
 * a full disk refuses produce (retention and compaction go on freeing space).
 */
export interface InstanceLimits {
  maxTopics: number;
  maxPartitions: number;
  maxConsumerGroups: number;
  diskBytes: number;
  produceByteRate: number;
  fetchByteRate: number;
}

export function instanceLimits(config: BrokerConfig): InstanceLimits {
  const n = (k: keyof BrokerConfig['settings']) => Number(config.settings[k]);
  return {
    maxTopics: n('tributary.instance.max.topics'),
    maxPartitions: n('tributary.instance.max.partitions'),
    maxConsumerGroups: n('tributary.instance.max.consumer.groups'),
    diskBytes: n('tributary.instance.disk.bytes'),
    produceByteRate: n('tributary.instance.produce.byte.rate'),
    fetchByteRate: n('tributary.instance.fetch.byte.rate'),
  };
}

const userTopics = (ctx: BrokerContext) => ctx.topics.list().filter((t) => !t.name.startsWith('__'));

/** Why creating `topics` more topics with `partitions` more partitions in total is refused, or null. */
export function topicLimitProblem(ctx: BrokerContext, topics: number, partitions: number): string | null {
  const { maxTopics, maxPartitions } = ctx.limits;
  const existing = userTopics(ctx);
  if (maxTopics >= 0 && existing.length + topics > maxTopics) return `the instance's topic limit is ${maxTopics}; ${existing.length} exist`;
  const used = existing.reduce((n, t) => n + t.partitions, 0);
  if (maxPartitions >= 0 && used + partitions > maxPartitions) return `the instance's partition limit is ${maxPartitions}; ${used} exist and this needs ${partitions} more`;
  return null;
}

export type GroupAdmission = { refused: { errorCode: number; message: string } } | { refused: null; release: () => void };

const NOTHING_HELD = () => undefined;

/**
 * A join (JoinGroup, or a ConsumerGroupHeartbeat joining) that would create one consumer group too
 * many is refused with POLICY_VIOLATION; existing groups go on. The limit is the instance's: on a
 * cluster the groups other brokers coordinate count too (quota/peer-group-count.ts). An admitted
 * join that creates a group holds a place (quota/group-creations.ts) until `release` (call it once
 * the join is answered): joins for new groups arriving together on this broker count each other.
 * Groups created at the same moment on two brokers still do not (see apps/broker/README.md).
 */
export async function admitGroupJoin(ctx: BrokerContext, groupId: string): Promise<GroupAdmission> {
  const max = ctx.limits.maxConsumerGroups;
  if (max < 0) return { refused: null, release: NOTHING_HELD };
  const existing = new Set(ctx.groups.groups().map((g) => g.groupId));
  if (existing.has(groupId) || ctx.groupCreations.has(groupId)) return { refused: null, release: NOTHING_HELD };
  const local = existing.size + ctx.groupCreations.countBeyond(existing);
  // The place is held before the other brokers are asked, so joins arriving meanwhile count it.
  const release = ctx.groupCreations.reserve(groupId);
  const total = local < max ? local + (await ctx.peerGroups.count()) : local;
  if (total < max) return { refused: null, release };
  release();
  return { refused: { errorCode: ErrorCode.POLICY_VIOLATION, message: `the instance's consumer-group limit is ${max}; ${total} groups exist` } };
}

/** Why produce is refused for lack of disk, or null. */
export function diskFullProblem(ctx: BrokerContext): string | null {
  const capacity = ctx.limits.diskBytes;
  if (capacity < 0) return null;
  const used = ctx.topics.totalBytes;
  return used >= capacity ? `the instance's disk capacity of ${capacity} bytes is full (${used} used); retention frees space as segments expire` : null;
}

/** The instance's total produce/fetch bandwidth (the tier it pays for), shared by every client. */
export class InstanceBandwidth {
  readonly #produce: SampledRate;
  readonly #fetch: SampledRate;
  readonly #limits: InstanceLimits;

  constructor(limits: InstanceLimits, samples: number, sampleMs: number) {
    this.#limits = limits;
    this.#produce = new SampledRate(samples, sampleMs);
    this.#fetch = new SampledRate(samples, sampleMs);
  }

  record(direction: 'produce' | 'fetch', bytes: number, now = Date.now()): number {
    const bound = direction === 'produce' ? this.#limits.produceByteRate : this.#limits.fetchByteRate;
    if (bound < 0) return 0;
    const rate = direction === 'produce' ? this.#produce : this.#fetch;
    rate.record(bytes, now);
    return throttleMs(rate.rate(now), bound, rate.windowMs);
  }
}
