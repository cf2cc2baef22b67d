import type { ClusterMetadata } from '../cluster/cluster-metadata.ts';
import type { ReplicaManager } from '../cluster/replica-manager.ts';
import type { Logger } from '../logger.ts';
import { InternalTopicCreator } from '../topics/internal-topic-creator.ts';
import { coordinatorPartitionFor, OFFSETS_TOPIC } from '../topics/internal-topics.ts';
import type { TopicRegistry } from '../topics/topic-registry.ts';
import { GroupCoordinator, type CoordinatorSettings } from './coordinator.ts';
import type { Group } from './group.ts';
import { OffsetStore } from './offset-store.ts';

export interface GroupCoordinatorsOptions {
  topics: TopicRegistry;
  cluster: ClusterMetadata;
  replicas: ReplicaManager;
  settings: CoordinatorSettings;
  /** offsets.topic.num.partitions: the partition count when `__consumer_offsets` does not exist yet. */
  numPartitions: number;
  /** offsets.topic.replication.factor: its replication factor when created on a cluster. */
  replicationFactor: number;
  /** The topic configs it is created with (internal-topics.ts offsetsTopicConfigs). */
  topicConfigs: Record<string, string>;
  /** After an append to a `__consumer_offsets` partition (high watermark, followers, long polls). */
  appended: (partition: number) => void;
  logger: Logger;
}

/**
 * The group coordinators of this broker, as Kafka runs them: a group belongs to the
 * `__consumer_offsets` partition its id hashes to, and the leader of that partition coordinates
 * it. One GroupCoordinator per partition led here, loaded from the partition's log when leadership
 * arrives (a partition with records) or on the first request for one of its groups, replaced when
 * the leader epoch changes and closed when leadership goes; elsewhere a group is not coordinated
 * (NOT_COORDINATOR). The partition count is that of the existing topic, else
 * offsets.topic.num.partitions, as Kafka's: a topic created with one partition keeps every group in
 * partition 0 after the setting changes.
 *
 * The calls that name a group go to its partition's coordinator; they may only be made for groups
 * `coordinates` accepts (the handlers' dispatcher answers NOT_COORDINATOR first).
 */
export class GroupCoordinators {
  readonly #o: GroupCoordinatorsOptions;
  readonly #loaded = new Map<number, { coordinator: GroupCoordinator; leaderEpoch: number }>();
  readonly #topicCreator: InternalTopicCreator;

  constructor(options: GroupCoordinatorsOptions) {
    this.#o = options;
    this.#topicCreator = new InternalTopicCreator(options.cluster, { name: OFFSETS_TOPIC, partitions: options.numPartitions, replicationFactor: options.replicationFactor, configs: () => options.topicConfigs }, options.logger);
  }

  /**
   * Makes sure `__consumer_offsets` exists: Kafka creates it on the first FindCoordinator for a
   * group, not at start. False while it cannot be created yet (too few brokers for its replication
   * factor, no controller): COORDINATOR_NOT_AVAILABLE.
   */
  ensureTopic(): Promise<boolean> {
    return this.#topicCreator.ensure();
  }

  partitionCount(): number {
    return this.#o.topics.get(OFFSETS_TOPIC)?.partitions ?? this.#o.numPartitions;
  }

  partitionFor(groupId: string): number {
    return coordinatorPartitionFor(groupId, this.partitionCount());
  }

  /** The broker coordinating the group (the leader of its partition), -1 while there is none. */
  coordinatorNode(groupId: string): number {
    const info = this.#o.cluster.partition(OFFSETS_TOPIC, this.partitionFor(groupId));
    return info && info.leader >= 0 ? info.leader : -1;
  }

  /** True when this broker coordinates the group (it leads the group's partition). */
  coordinates(groupId: string): boolean {
    return this.#load(this.partitionFor(groupId)) !== null;
  }

  /** The coordinator of the group's partition on this broker, or null (NOT_COORDINATOR). */
  coordinatorOf(groupId: string): GroupCoordinator | null {
    return this.#load(this.partitionFor(groupId));
  }

  /**
   * Loads the partitions this broker leads that hold records (start-up, leadership gained): their
   * groups' sessions and offsets expire from then on. Empty ones load on their first request.
   */
  loadLed(): void {
    const topic = this.#o.topics.get(OFFSETS_TOPIC);
    if (!topic) return;
    for (let p = 0; p < topic.partitions; p++) {
      if (this.#loaded.has(p)) {
        this.#load(p);
        continue;
      }
      const log = this.#o.topics.log(OFFSETS_TOPIC, p);
      if (log && log.logEndOffset > log.logStartOffset) this.#load(p);
    }
  }

  /** Leadership of a partition moved away: its groups are no longer coordinated here. */
  resign(partition: number): void {
    const loaded = this.#loaded.get(partition);
    if (!loaded) return;
    loaded.coordinator.close();
    this.#loaded.delete(partition);
    this.#o.logger.log('info', 'no longer coordinating consumer groups', { partition });
  }

  /** The coordinators of the partitions loaded here. */
  led(): GroupCoordinator[] {
    return [...this.#loaded.keys()].map((p) => this.#load(p)).filter((c): c is GroupCoordinator => c !== null);
  }

  /** Every group coordinated here that Kafka would list (ListGroups, limits). */
  groups(): Group[] {
    return this.led().flatMap((c) => c.groups());
  }

  /** Groups coordinated here with a member from this client id and host. */
  groupsOfClient(clientId: string, clientHost: string): string[] {
    return this.led().flatMap((c) => c.groupsOfClient(clientId, clientHost));
  }

  /** A transaction marker was written to `partition` of `__consumer_offsets` (led here). */
  completeTransaction(partition: number, producerId: bigint, commit: boolean): void {
    this.#load(partition)?.completeTransaction(producerId, commit);
  }

  get: GroupCoordinator['get'] = (groupId) => this.coordinatorOf(groupId)?.get(groupId);
  join: GroupCoordinator['join'] = (req, ...rest) => this.#route(req.groupId).join(req, ...rest);
  sync: GroupCoordinator['sync'] = (groupId, ...rest) => this.#route(groupId).sync(groupId, ...rest);
  heartbeat: GroupCoordinator['heartbeat'] = (groupId, ...rest) => this.#route(groupId).heartbeat(groupId, ...rest);
  leave: GroupCoordinator['leave'] = (groupId, ...rest) => this.#route(groupId).leave(groupId, ...rest);
  commit: GroupCoordinator['commit'] = (groupId, ...rest) => this.#route(groupId).commit(groupId, ...rest);
  commitOffsets: GroupCoordinator['commitOffsets'] = (groupId, ...rest) => this.#route(groupId).commitOffsets(groupId, ...rest);
  validateOffsetFetch: GroupCoordinator['validateOffsetFetch'] = (groupId, ...rest) => this.#route(groupId).validateOffsetFetch(groupId, ...rest);
  committed: GroupCoordinator['committed'] = (groupId, ...rest) => this.#route(groupId).committed(groupId, ...rest);
  committedOffsets: GroupCoordinator['committedOffsets'] = (groupId) => this.#route(groupId).committedOffsets(groupId);
  latestOffsets: GroupCoordinator['latestOffsets'] = (groupId) => this.#route(groupId).latestOffsets(groupId);
  /** The partition's writes so far committed, on the coordinator of `groupId` (GroupCoordinator.writesCommitted). */
  writesCommitted = (groupId: string): Promise<number> => this.#route(groupId).writesCommitted();
  txnCommit: GroupCoordinator['txnCommit'] = (groupId, ...rest) => this.#route(groupId).txnCommit(groupId, ...rest);
  txnCommitOffsets: GroupCoordinator['txnCommitOffsets'] = (groupId, ...rest) => this.#route(groupId).txnCommitOffsets(groupId, ...rest);
  hasPendingOffset: GroupCoordinator['hasPendingOffset'] = (groupId, ...rest) => this.#route(groupId).hasPendingOffset(groupId, ...rest);
  deleteOffsets: GroupCoordinator['deleteOffsets'] = (groupId, ...rest) => this.#route(groupId).deleteOffsets(groupId, ...rest);
  deleteGroup: GroupCoordinator['deleteGroup'] = (groupId) => this.#route(groupId).deleteGroup(groupId);
  deleteOffsetsCommitted: GroupCoordinator['deleteOffsetsCommitted'] = (groupId, ...rest) => this.#route(groupId).deleteOffsetsCommitted(groupId, ...rest);

  /** DeleteGroups: one write operation per coordinator (partition), as Kafka schedules them; the answers in the order asked. */
  async deleteGroups(groupIds: string[]): Promise<number[]> {
    const byCoordinator = new Map<GroupCoordinator, number[]>();
    groupIds.forEach((id, i) => {
      const c = this.#route(id);
      byCoordinator.set(c, [...(byCoordinator.get(c) ?? []), i]);
    });
    const out: number[] = new Array<number>(groupIds.length);
    await Promise.all([...byCoordinator].map(async ([c, at]) => {
      const codes = await c.deleteGroups(at.map((i) => groupIds[i]!));
      at.forEach((i, k) => (out[i] = codes[k]!));
    }));
    return out;
  }
  consumerGroupHeartbeat: GroupCoordinator['consumerGroupHeartbeat'] = (req, topics) => this.#route(req.groupId).consumerGroupHeartbeat(req, topics);
  consumerAssignorName: GroupCoordinator['consumerAssignorName'] = (g) => this.#route(g.groupId).consumerAssignorName(g);

  #route(groupId: string): GroupCoordinator {
    const coordinator = this.coordinatorOf(groupId);
    // The dispatcher answers NOT_COORDINATOR before a handler gets here (handlers/registry.ts).
    if (!coordinator) throw new Error(`group ${JSON.stringify(groupId)} is not coordinated by this broker`);
    return coordinator;
  }

  #load(partition: number): GroupCoordinator | null {
    const lead = this.#o.replicas.leaderFor(OFFSETS_TOPIC, partition);
    if (!lead.ok) {
      this.resign(partition);
      return null;
    }
    const loaded = this.#loaded.get(partition);
    if (loaded && loaded.leaderEpoch === lead.leaderEpoch) return loaded.coordinator;
    loaded?.coordinator.close();
    const epoch = lead.leaderEpoch;
    // A group's records count once the in-sync replicas have them (acks=-1, offsets.commit.timeout.ms 5 s, as Kafka's).
    const replicated = (offset: number) => this.#o.replicas.waitForReplication(OFFSETS_TOPIC, partition, offset, 1, 5_000);
    const coordinator = new GroupCoordinator(this.#o.settings, new OffsetStore(lead.log, () => epoch, () => this.#o.appended(partition), replicated));
    this.#loaded.set(partition, { coordinator, leaderEpoch: epoch });
    this.#o.logger.log('info', 'coordinating consumer groups', { partition, leaderEpoch: epoch, groups: coordinator.groups().length });
    return coordinator;
  }

  close(): void {
    for (const { coordinator } of this.#loaded.values()) coordinator.close();
    this.#loaded.clear();
  }
}
