import { ApiKey, type DescribeQuorumResponse } from '@tributary/protocol';
import type { Listener } from '../config/broker-config.ts';
import { openAnsweringConnection } from './peer-connection.ts';

/**
 * Tributary's metadata "quorum" as DescribeQuorum (KIP-595, KIP-853) describes it. Kafka's
 * metadata is the KRaft log `__cluster_metadata`-0, led by the active controller and replicated
 * to the controller voters; Tributary's is the history of etcd writes under the cluster's prefix
 * (etcd's own Raft quorum commits them), which every broker applies through its watch. Mapped:
 *
 * - leader: the controller (the broker holding the `controller` key); its epoch: that key's create
 *   revision, the number that fences a deposed controller's writes, as the KRaft epoch does;
 * - offsets: etcd revisions — the metadata log's end is the latest revision etcd has committed
 *   (everything there is committed by etcd's quorum, so it is also the high watermark), a
 *   voter's log end the revision its view has applied;
 * - voters: every registered broker (any broker may become the controller), and the controller
 *   even if it was unregistered (a KRaft voter stays a voter when its broker is unregistered);
 *   observers: none (no broker only follows). A broker whose lease is gone is no voter: it is not
 *   registered (Kafka's static voters stay listed with an unknown log end);
 * - a voter's last fetch: when it answered the describing broker with its progress; caught up:
 *   then, if it had applied every revision committed when the describe began, else the last time
 *   this broker saw it caught up (-1 if never), as Kafka's leader keeps a follower's last one;
 * - endpoints (v2 nodes): the broker's advertised listeners (it has no separate controller listener);
 * - directory ids: none (ZERO_UUID), as for Kafka's voters of a static quorum.
 */

/** The KRaft topic partition DescribeQuorum names; anything else is UNKNOWN_TOPIC_OR_PARTITION. */
export const METADATA_TOPIC = '__cluster_metadata';
export const METADATA_PARTITION = 0;

/** Client id prefix of the progress asks between brokers: the asked broker answers its own progress only. */
export const PROGRESS_CLIENT_PREFIX = 'tributary-quorum-';

/** How far one broker's view has got, as it said at `atMs` (the asker's clock). */
export interface VoterProgress {
  revision: bigint;
  atMs: number;
}

export interface QuorumVoter {
  nodeId: number;
  listeners: Listener[];
  logEndOffset: bigint;
  lastFetchTimestamp: bigint;
  lastCaughtUpTimestamp: bigint;
}

export interface MetadataQuorum {
  leaderId: number;
  leaderEpoch: number;
  highWatermark: bigint;
  voters: QuorumVoter[];
}

export interface QuorumInputs {
  leaderId: number;
  /** The controller key's create revision. */
  leaderEpoch: bigint;
  /** The latest revision etcd had committed when the describe began. */
  committed: bigint;
  /** Each voter with what it said of its progress (null: it did not answer) and when it was last seen caught up before. */
  voters: { nodeId: number; listeners: Listener[]; progress: VoterProgress | null; lastCaughtUpMs?: number }[];
  nowMs: number;
}

/** Pure: the quorum's description from the committed revision and each voter's progress. */
export function describeMetadataQuorum(inputs: QuorumInputs): MetadataQuorum {
  // The log's end: what etcd had committed, or later revisions a voter has already applied (the
  // describe reads etcd before asking), so no voter is ever ahead of the leader.
  let end = inputs.committed;
  for (const v of inputs.voters) if (v.progress && v.progress.revision > end) end = v.progress.revision;
  const now = BigInt(inputs.nowMs);
  const voters = [...inputs.voters]
    .sort((a, b) => a.nodeId - b.nodeId)
    .map((v): QuorumVoter => {
      if (v.nodeId === inputs.leaderId) return { nodeId: v.nodeId, listeners: v.listeners, logEndOffset: end, lastFetchTimestamp: now, lastCaughtUpTimestamp: now };
      if (!v.progress) return { nodeId: v.nodeId, listeners: v.listeners, logEndOffset: -1n, lastFetchTimestamp: -1n, lastCaughtUpTimestamp: -1n };
      const at = BigInt(v.progress.atMs);
      return { nodeId: v.nodeId, listeners: v.listeners, logEndOffset: v.progress.revision, lastFetchTimestamp: at, lastCaughtUpTimestamp: v.progress.revision >= inputs.committed ? at : BigInt(v.lastCaughtUpMs ?? -1) };
    });
  // int32 on the wire; an etcd revision passes 2^31 only after two billion writes.
  return { leaderId: inputs.leaderId, leaderEpoch: Number(BigInt.asIntN(32, inputs.leaderEpoch)), highWatermark: end, voters };
}

/**
 * Asks another broker (on the inter-broker listener) how far its view has got: DescribeQuorum with
 * the progress client id, which that broker answers with its own entry only. Null when it does not
 * answer within `timeoutMs`, refuses (e.g. DESCRIBE on the cluster denied to this connection), or
 * does not serve DescribeQuorum (a broker of an older version in a rolling upgrade).
 */
export async function askVoterProgress(address: Listener, peerId: number, selfId: number, timeoutMs: number): Promise<VoterProgress | null> {
  try {
    const conn = await openAnsweringConnection(address.host, address.port, `${PROGRESS_CLIENT_PREFIX}${selfId}`, timeoutMs);
    try {
      // The connection bounds each request by timeoutMs too.
      const res = await conn.send<DescribeQuorumResponse>(ApiKey.DescribeQuorum, 2, { topics: [{ topicName: METADATA_TOPIC, partitions: [{ partitionIndex: METADATA_PARTITION }] }] });
      const own = res.errorCode === 0 ? res.topics[0]?.partitions[0]?.currentVoters.find((v) => v.replicaId === peerId) : undefined;
      return own && own.logEndOffset >= 0n ? { revision: own.logEndOffset, atMs: Date.now() } : null;
    } finally {
      conn.close();
    }
  } catch {
    return null;
  }
}
