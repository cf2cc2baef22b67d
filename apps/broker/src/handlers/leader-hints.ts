import { listenerFor } from '../config/broker-config.ts';
import type { BrokerContext, RequestSession } from './context.ts';

export interface LeaderIdAndEpoch {
  leaderId: number;
  leaderEpoch: number;
}

export interface NodeEndpoint {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

/**
 * KIP-951: a partition answered NOT_LEADER_OR_FOLLOWER (Produce v10+; Fetch v16+ also
 * FENCED_LEADER_EPOCH) carries who leads it now and in which epoch (`current_leader`), and the
 * response lists that broker's endpoint on the listener the request came through
 * (`node_endpoints`), so the client retries there without first refreshing its metadata. As
 * Kafka's KafkaApis.getCurrentLeader: the leader and epoch this broker knows (-1/-1 for a
 * partition it does not know), the endpoint only of a live broker. Found against Apache Kafka 4.4
 * by test/conformance/protocol-cluster.test.ts. One per response.
 */
export class LeaderHints {
  readonly #ctx: BrokerContext;
  readonly #listener: string;
  // Made on first use: most responses name no leader (this is on the fetch path).
  #endpoints: Map<number, NodeEndpoint> | null = null;

  constructor(ctx: BrokerContext, session: RequestSession) {
    this.#ctx = ctx;
    this.#listener = session.listener;
  }

  /** The partition's current leader and epoch; its endpoint joins `endpoints()`. */
  currentLeader(topic: string, partition: number): LeaderIdAndEpoch {
    const info = this.#ctx.cluster.partition(topic, partition);
    if (!info || info.leader < 0) return { leaderId: -1, leaderEpoch: -1 };
    const broker = this.#ctx.cluster.brokers().find((b) => b.nodeId === info.leader);
    this.#endpoints ??= new Map();
    if (broker && !this.#endpoints.has(broker.nodeId)) {
      const l = listenerFor(broker.listeners, this.#listener);
      this.#endpoints.set(broker.nodeId, { nodeId: broker.nodeId, host: l.host, port: l.port, rack: broker.rack });
    }
    return { leaderId: info.leader, leaderEpoch: info.leaderEpoch };
  }

  /** The endpoints of the leaders named so far, by node id. */
  endpoints(): NodeEndpoint[] {
    return this.#endpoints ? [...this.#endpoints.values()].sort((a, b) => a.nodeId - b.nodeId) : [];
  }
}
