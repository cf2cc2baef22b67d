import type { ClusterMetadata } from '../cluster/cluster-metadata.ts';
import type { Logger } from '../logger.ts';

export interface InternalTopicSpec {
  name: string;
  /** The partition count and, on a cluster, the replication factor it is created with (a standalone broker uses 1). */
  partitions: number;
  replicationFactor: number;
  /** The topic's own configs, as Kafka sets them on creation (internal-topics.ts), for the replicas it gets. */
  configs: (replicationFactor: number) => Record<string, string>;
}

/**
 * Creates a coordinator's internal topic (`__consumer_offsets`, `__transaction_state`) on the first
 * FindCoordinator that needs it, as Kafka creates them, rather than when the broker starts: a
 * broker never used with groups or transactions lists neither topic, as Kafka's does. Concurrent
 * callers share one creation; when it fails (another broker made it first, or the cluster has
 * fewer live brokers than the replication factor) the next call tries again, and the caller answers
 * COORDINATOR_NOT_AVAILABLE meanwhile, which clients retry.
 */
export class InternalTopicCreator {
  readonly #cluster: ClusterMetadata;
  readonly #spec: InternalTopicSpec;
  readonly #logger: Logger;
  #creating: Promise<void> | null = null;

  constructor(cluster: ClusterMetadata, spec: InternalTopicSpec, logger: Logger) {
    this.#cluster = cluster;
    this.#spec = spec;
    this.#logger = logger;
  }

  /** True once the topic exists (created now or before). */
  async ensure(): Promise<boolean> {
    const { name, partitions } = this.#spec;
    if (this.#cluster.partition(name, 0)) return true;
    const replicationFactor = this.#cluster.clustered ? this.#spec.replicationFactor : 1;
    this.#creating ??= this.#cluster
      .createTopic({ name, partitions, replicationFactor, configs: this.#spec.configs(replicationFactor) }, false, true)
      .then(
        () => undefined,
        (err: unknown) => this.#logger.log('info', 'internal topic not created', { topic: name, detail: err instanceof Error ? err.message : String(err) }),
      )
      .finally(() => {
        this.#creating = null;
      });
    await this.#creating;
    return this.#cluster.partition(name, 0) !== undefined;
  }
}
