import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, KafkaProtocolError } from '@tributary/protocol';
import type { BrokerConfig } from '../config/broker-config.ts';
import { TopicError, type TopicRegistry, type TopicState } from '../topics/topic-registry.ts';
import type { BrokerInfo, ClusterMetadata, NewTopic, OngoingMove, PartitionInfo, PartitionMove, PartitionResult } from './cluster-metadata.ts';
import { ElectionType } from './elect-leaders.ts';
import { describeMetadataQuorum, type MetadataQuorum } from './metadata-quorum.ts';
import { defaultFeatureLevels, finalizedLevels, planFeatureUpdates, type FeatureLevels, type FeatureUpdate, type FinalizedFeatures } from './features.ts';
import { checkReplicationFactor, validateTarget } from './reassignment.ts';

/**
 * A broker started without `--etcd-endpoints` is a cluster of one: it is the controller, leads
 * every partition in epoch 0 and is its only in-sync replica, so its high watermark is its log end.
 */
export class StandaloneCluster implements ClusterMetadata {
  readonly clustered = false;
  readonly #config: BrokerConfig;
  readonly #topics: TopicRegistry;
  /** Topic changes since start: this broker's metadata version (it keeps no metadata log). */
  #version = 0n;
  /** UpdateFeatures' levels and how many updates made them, kept in the data directory (features.json); read on first use. */
  #features: { levels: FeatureLevels; epoch: number } | null | undefined;

  constructor(config: BrokerConfig, topics: TopicRegistry) {
    this.#config = config;
    this.#topics = topics;
  }

  get #featuresFile(): string {
    return join(this.#config.dataDir, 'features.json');
  }

  #stored(): { levels: FeatureLevels; epoch: number } | null {
    if (this.#features === undefined) this.#features = existsSync(this.#featuresFile) ? (JSON.parse(readFileSync(this.#featuresFile, 'utf8')) as { levels: FeatureLevels; epoch: number }) : null;
    return this.#features;
  }

  finalizedFeatures(): FinalizedFeatures {
    const defaults = defaultFeatureLevels(Number(this.#config.settings['tributary.transaction.version']));
    const stored = this.#stored();
    return { levels: finalizedLevels(stored?.levels, defaults), epoch: BigInt(stored?.epoch ?? 1) };
  }

  async updateFeatures(updates: FeatureUpdate[], validateOnly: boolean): Promise<{ errorCode: number; message: string | null }> {
    const plan = planFeatureUpdates(this.finalizedFeatures().levels, updates, this.#config.nodeId);
    if (!plan.ok) return { errorCode: plan.errorCode, message: plan.message };
    if (validateOnly || updates.length === 0) return { errorCode: 0, message: null };
    this.#features = { levels: plan.levels, epoch: (this.#stored()?.epoch ?? 1) + 1 };
    writeFileSync(`${this.#featuresFile}.tmp`, JSON.stringify(this.#features));
    renameSync(`${this.#featuresFile}.tmp`, this.#featuresFile);
    return { errorCode: 0, message: null };
  }

  controllerId(): number {
    return this.#config.nodeId;
  }

  brokers(): BrokerInfo[] {
    return [{ nodeId: this.#config.nodeId, rack: null, listeners: this.#config.advertisedListeners }];
  }

  partition(topic: string, partition: number): PartitionInfo | undefined {
    const t = this.#topics.get(topic);
    if (!t || partition < 0 || partition >= t.partitions) return undefined;
    const me = this.#config.nodeId;
    return { leader: me, leaderEpoch: 0, replicas: [me], isr: [me] };
  }

  async createTopic(topic: NewTopic, validateOnly: boolean, _forward = false): Promise<TopicState> {
    if (topic.replicationFactor !== 1) throw new TopicError(ErrorCode.INVALID_REPLICATION_FACTOR, `replication factor ${topic.replicationFactor} is larger than the 1 available broker`);
    const created = this.#topics.create(topic.name, topic.partitions, topic.configs, validateOnly);
    if (!validateOnly) this.#version++;
    return created;
  }

  async deleteTopic(name: string): Promise<void> {
    this.#topics.delete(name);
    this.#version++;
  }

  // A manual assignment here can only name this broker (it is validated against the registered brokers).
  async addPartitions(name: string, count: number, validateOnly: boolean, _assignment?: number[][]): Promise<void> {
    this.#topics.addPartitions(name, count, validateOnly);
    if (!validateOnly) this.#version++;
  }

  metadataVersion(): bigint {
    return this.#version;
  }

  /** The one broker's copy is the cluster's. */
  async catchUp(): Promise<void> {}

  async setTopicConfigs(name: string, configs: Record<string, string>): Promise<void> {
    this.#topics.setConfigs(name, configs);
    this.#version++;
  }

  // One broker: nothing can move, and its only replica always leads.
  reassignments(): OngoingMove[] {
    return [];
  }

  async alterReassignments(moves: PartitionMove[], allowReplicationFactorChange = true): Promise<PartitionResult[]> {
    const me = new Set([this.#config.nodeId]);
    return moves.map((m) => {
      const result = { topic: m.topic, partition: m.partition, errorCode: 0, message: null as string | null };
      if (!this.partition(m.topic, m.partition)) return { ...result, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: `Unable to find partition ${m.topic}-${m.partition}.` };
      if (m.replicas === null) return { ...result, errorCode: ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, message: 'No ongoing reassignment for this partition.' };
      const refusal = validateTarget(m.replicas, me) ?? (allowReplicationFactorChange ? null : checkReplicationFactor([this.#config.nodeId], undefined, m.replicas));
      return refusal ? { ...result, errorCode: refusal.errorCode, message: refusal.message } : result;
    });
  }

  async electLeaders(electionType: number, partitions: { topic: string; partition: number }[] | null): Promise<PartitionResult[]> {
    if (partitions === null) return [];
    return partitions.map(({ topic, partition }) => {
      if (!this.partition(topic, partition)) return { topic, partition, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: `No such partition ${topic}-${partition}.` };
      if (electionType !== ElectionType.PREFERRED && electionType !== ElectionType.UNCLEAN) return { topic, partition, errorCode: ErrorCode.INVALID_REQUEST, message: `Unknown election type ${electionType}.` };
      return { topic, partition, errorCode: ErrorCode.ELECTION_NOT_NEEDED, message: 'Leader election not needed for topic partition.' };
    });
  }

  /**
   * The one broker leads and is the only voter, in epoch 1 (its one "election", at start, as a new
   * KRaft quorum's first leader epoch is 1); there is no metadata log, so every offset is 0.
   */
  async describeQuorum(_ownOnly: boolean): Promise<MetadataQuorum> {
    const me = this.brokers()[0]!;
    return describeMetadataQuorum({ leaderId: me.nodeId, leaderEpoch: 1n, committed: 0n, voters: [{ nodeId: me.nodeId, listeners: me.listeners, progress: null }], nowMs: Date.now() });
  }

  /** Nothing else is registered; the broker itself is the whole cluster and has no registration to remove. */
  async unregisterBroker(nodeId: number): Promise<boolean> {
    if (nodeId !== this.#config.nodeId) return false;
    throw new KafkaProtocolError(ErrorCode.INVALID_REQUEST, `Broker ${nodeId} runs standalone (without etcd): it is the whole cluster and cannot be unregistered`);
  }
}
