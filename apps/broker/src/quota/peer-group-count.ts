import { ApiKey, type ListGroupsResponse } from '@tributary/protocol';
import type { ClusterMetadata } from '../cluster/cluster-metadata.ts';
import { listenerFor, type Listener } from '../config/broker-config.ts';
import { openAnsweringConnection } from '../cluster/peer-connection.ts';

export interface PeerGroupCountOptions {
  cluster: ClusterMetadata;
  nodeId: number;
  /** The listener brokers reach each other on (inter.broker.listener.name). */
  listenerName: string;
  timeoutMs?: number;
}

/**
 * How many consumer groups the other brokers of the cluster coordinate. Groups are spread over the
 * `__consumer_offsets` partitions' leaders, so the instance's group limit
 * (`tributary.instance.max.consumer.groups`) needs every broker's count: each other broker is asked
 * with ListGroups on the inter-broker listener, only when a group would be created and a limit is
 * set. A broker that does not answer counts 0 (its partitions' groups move to the brokers that do).
 * Creations racing on this broker count each other (group-creations.ts); those at the same moment on
 * different brokers do not, so the instance can pass the limit by one group per other broker.
 */
export class PeerGroupCount {
  readonly #o: Required<PeerGroupCountOptions>;
  /** The count being asked: joins that arrive meanwhile share it (a burst asks the other brokers once). */
  #asking: Promise<number> | null = null;

  constructor(options: PeerGroupCountOptions) {
    this.#o = { timeoutMs: 2000, ...options };
  }

  count(): Promise<number> {
    this.#asking ??= this.#ask().finally(() => (this.#asking = null));
    return this.#asking;
  }

  async #ask(): Promise<number> {
    if (!this.#o.cluster.clustered) return 0;
    const peers = this.#o.cluster.brokers().filter((b) => b.nodeId !== this.#o.nodeId);
    const counts = await Promise.all(peers.map((b) => this.#countOn(listenerFor(b.listeners, this.#o.listenerName))));
    return counts.reduce((a, b) => a + b, 0);
  }

  async #countOn(address: Listener): Promise<number> {
    try {
      const conn = await openAnsweringConnection(address.host, address.port, `tributary-group-count-${this.#o.nodeId}`, this.#o.timeoutMs);
      try {
        const res = await conn.send<ListGroupsResponse>(ApiKey.ListGroups, 5, { statesFilter: [], typesFilter: [] });
        return res.errorCode === 0 ? res.groups.length : 0;
      } finally {
        conn.close();
      }
    } catch {
      return 0;
    }
  }
}
