import type { BrokerInfo, PartitionInfo } from './cluster-metadata.ts';
import { ELR_FEATURE, type FeatureLevels } from './features.ts';

/**
 * The cluster's metadata as stored in etcd, one JSON value per key under
 * `/tributary/clusters/<cluster-id>/`:
 *
 * | key | value | written by |
 * | --- | --- | --- |
 * | `brokers/<id>` | BrokerRecord (under the broker's lease) | each broker |
 * | `controller` | `{ nodeId }` (under the controller's lease; its create revision is the controller epoch) | the elected controller |
 * | `topics/<name>` | TopicRecord (id, configs, replicas per partition) | controller (configs: any broker) |
 * | `partitions/<name>/<p>` | PartitionRecord (leader, epoch, ISR, ELR, LastKnownElr) | controller (elections), leader (ISR) |
 * | `producer-ids` | next unreserved producer id | any broker, compare-and-swap, in blocks |
 * | `credentials/<user>` | SCRAM salted keys per mechanism (never a password) | the broker that took AlterUserScramCredentials |
 * | `acls/<id>` | one ACL binding (id: hash of the binding) | the broker that took CreateAcls/DeleteAcls |
 * | `quotas/<entity>` | one quota entity's values | the broker that took AlterClientQuotas |
 * | `features` | finalized feature levels changed by UpdateFeatures (features.ts); absent: the defaults | the broker that took UpdateFeatures |
 * | `catch-up/<id>` | a counter, rewritten to learn how far the watch must get (EtcdMetadataStore.catchUp) | each broker |
 *
 * Every broker loads the prefix, then watches it from the next revision, so all brokers apply the
 * same decisions in the same order.
 */
export interface BrokerRecord extends BrokerInfo {
  /** Set during controlled shutdown: the controller moves leadership away. */
  shuttingDown?: boolean;
  /**
   * Set in the first registration of a broker whose previous run was killed (no clean stop): the
   * controller takes it out of the ELRs written before this registration (Kafka's
   * handleBrokerUncleanShutdown; its unflushed tail may be gone, so it is no longer eligible).
   */
  uncleanShutdown?: boolean;
}

export interface TopicRecord {
  name: string;
  topicId: string;
  configs: Record<string, string>;
  /** Replica broker ids per partition; the first is the preferred leader. */
  replicas: number[][];
}

export interface PartitionRecord {
  leader: number;
  leaderEpoch: number;
  /** Empty while no replica can lead (with the ELR of KIP-966: the last member died). */
  isr: number[];
  /**
   * KIP-966 eligible leader replicas (partition-change.ts): replicas that left the ISR while it was
   * below min.insync.replicas and may still lead cleanly. Absent when empty, and in records written
   * before it existed: a missing field reads as empty, so brokers of either version read both.
   */
  elr?: number[];
  /** KIP-966 LastKnownElr: the leader the partition had when its ISR became empty; absent when empty. */
  lastKnownElr?: number[];
}

export interface Versioned<T> {
  value: T;
  /** etcd mod revision of the key: the compare-and-swap guard for the next write. */
  modRevision: string;
}

export const clusterPrefix = (clusterId: string) => `/tributary/clusters/${clusterId}/`;

/** Where each broker's catch-up marker lives (EtcdMetadataStore.catchUp). */
export const CATCH_UP_PREFIX = 'catch-up/';

export const keys = {
  broker: (id: number) => `brokers/${id}`,
  /** A broker id registered in this cluster, kept after the broker's lease (Kafka keeps a fenced broker's registration) until UnregisterBroker. */
  brokerId: (id: number) => `broker-ids/${id}`,
  controller: 'controller',
  topic: (name: string) => `topics/${name}`,
  partitions: (name: string) => `partitions/${name}/`,
  partition: (name: string, p: number) => `partitions/${name}/${p}`,
  /** The next unreserved producer id (Kafka's latest producer id block). */
  producerIds: 'producer-ids',
  /** Finalized feature levels (UpdateFeatures), compare-and-swap on the key's revision. */
  features: 'features',
  catchUp: (id: number) => `${CATCH_UP_PREFIX}${id}`,
};

/** In-memory copy of the keys under the cluster prefix; apply() is fed by the load and the watch. */
export class ClusterView {
  readonly brokers = new Map<number, BrokerRecord>();
  /** Each registration's create revision: a broker registered after a partition's last write is newer than that state. */
  readonly brokerRegistered = new Map<number, bigint>();
  readonly topics = new Map<string, Versioned<TopicRecord>>();
  readonly partitions = new Map<string, Versioned<PartitionRecord>>();
  controller: { nodeId: number; epoch: string } | null = null;
  /** The levels UpdateFeatures finalized (null: none changed, the defaults hold). */
  features: Versioned<FeatureLevels> | null = null;
  /** Every key's current value, for stores that read their own kind (credentials, ACLs, quotas). */
  readonly raw = new Map<string, string>();
  /** Bumped on every change under a prefix, so readers can cache until it moves. */
  readonly versions = new Map<string, number>();
  /** The etcd revision of the latest change applied (a deletion's event carries its own revision). */
  revision = 0n;

  /** Current values of the keys under `prefix` (e.g. `acls/`), keyed by the rest of the key. */
  *under(prefix: string): Generator<[string, string]> {
    for (const [k, v] of this.raw) if (k.startsWith(prefix)) yield [k.slice(prefix.length), v];
  }

  /** Applies one key change (key relative to the prefix); value null means deleted. */
  apply(key: string, value: string | null, modRevision: string, createRevision: string): void {
    const [kind, ...rest] = key.split('/');
    const revision = BigInt(modRevision);
    if (revision > this.revision) this.revision = revision;
    if (value === null) this.raw.delete(key);
    else this.raw.set(key, value);
    this.versions.set(kind!, (this.versions.get(kind!) ?? 0) + 1);
    if (kind === 'brokers') {
      const id = Number(rest[0]);
      if (value === null) {
        this.brokers.delete(id);
        this.brokerRegistered.delete(id);
      } else {
        this.brokers.set(id, JSON.parse(value) as BrokerRecord);
        this.brokerRegistered.set(id, BigInt(createRevision));
      }
    } else if (kind === 'controller') {
      this.controller = value === null ? null : { nodeId: (JSON.parse(value) as { nodeId: number }).nodeId, epoch: createRevision };
    } else if (kind === 'features') {
      this.features = value === null ? null : { value: JSON.parse(value) as FeatureLevels, modRevision };
    } else if (kind === 'topics') {
      const name = rest.join('/');
      if (value === null) this.topics.delete(name);
      else this.topics.set(name, { value: JSON.parse(value) as TopicRecord, modRevision });
    } else if (kind === 'partitions') {
      const k = rest.join('/');
      if (value === null) this.partitions.delete(k);
      else this.partitions.set(k, { value: JSON.parse(value) as PartitionRecord, modRevision });
    }
  }

  partition(topic: string, partition: number): PartitionInfo | undefined {
    const t = this.topics.get(topic);
    const replicas = t?.value.replicas[partition];
    const p = this.partitions.get(`${topic}/${partition}`);
    if (!replicas || !p) return undefined;
    return { leader: p.value.leader, leaderEpoch: p.value.leaderEpoch, replicas, isr: p.value.isr, elr: p.value.elr ?? [], lastKnownElr: p.value.lastKnownElr ?? [], revision: BigInt(p.modRevision) };
  }

  /**
   * Members of a partition's ISR or ELR that are back from an unclean shutdown and registered after
   * that state was written: its ISR and ELR predate their return, so they leave both, as Kafka's
   * controller takes such a broker out of every ISR and ELR it is in when it registers. Once the
   * state is written again (or names them in neither) they count as any broker.
   */
  uncleanlyReturned(state: Versioned<PartitionRecord>): number[] {
    const at = BigInt(state.modRevision);
    const named = (id: number) => state.value.isr.includes(id) || (state.value.elr ?? []).includes(id);
    return [...this.brokers.values()].filter((b) => b.uncleanShutdown && named(b.nodeId) && (this.brokerRegistered.get(b.nodeId) ?? 0n) > at).map((b) => b.nodeId);
  }

  /** KIP-966 is on unless UpdateFeatures finalized eligible.leader.replicas.version at 0 (features.ts). */
  elrEnabled(): boolean {
    return (this.features?.value[ELR_FEATURE] ?? 1) >= 1;
  }

  /** Brokers that are registered and not shutting down: the ones that may lead. */
  liveBrokers(): Set<number> {
    return new Set([...this.brokers.values()].filter((b) => !b.shuttingDown).map((b) => b.nodeId));
  }
}
