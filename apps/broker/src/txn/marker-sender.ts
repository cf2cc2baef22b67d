import { ApiKey, ErrorCode, type WriteTxnMarkersResponse } from '@tributary/protocol';
import type { ClusterMetadata } from '../cluster/cluster-metadata.ts';
import { writeMarkersLocally, type LocalMarkerDeps } from './marker-writer.ts';
import type { MarkerRequest, MarkersAbandoned } from './transaction-coordinator.ts';
import { listenerFor } from '../config/broker-config.ts';
import { openAnsweringConnection } from '../cluster/peer-connection.ts';

export interface MarkerSenderDeps extends LocalMarkerDeps {
  cluster: ClusterMetadata;
  nodeId: number;
  /** The listener brokers reach each other on (inter.broker.listener.name). */
  listenerName: string;
}

/**
 * The coordinator's side of a transaction end: markers on the partitions this broker leads are
 * written directly; the others go to their leaders in one WriteTxnMarkers request each. Rejects
 * when any partition could not be marked (no leader, leader unreachable or refusing): the
 * coordinator retries the whole set, and a marker written twice changes nothing (a marker with no
 * running transaction ends none, and the producer cannot start its next transaction on these
 * partitions before the coordinator has completed this one). A leader that fences the markers
 * (INVALID_PRODUCER_EPOCH, TRANSACTION_COORDINATOR_FENCED) ends the sending instead: the answer is
 * MarkersAbandoned, as Kafka's coordinator gives up on a transaction whose producer or coordinator
 * epoch has changed.
 */
export async function writeMarkers(deps: MarkerSenderDeps, m: MarkerRequest, coordinatorEpoch: number): Promise<MarkersAbandoned | void> {
  const local = await writeMarkersLocally(deps, m, coordinatorEpoch);
  const fencedHere = local.failed.find((f) => fences(f.errorCode));
  if (fencedHere) return { abandonedWith: fencedHere.errorCode };
  const byLeader = new Map<number, { topic: string; partition: number }[]>();
  for (const f of local.failed) {
    // A deleted topic needs no marker (Kafka's coordinator drops it too).
    if (f.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) continue;
    const leader = deps.cluster.partition(f.topic, f.partition)?.leader ?? -1;
    if (f.errorCode !== ErrorCode.NOT_LEADER_OR_FOLLOWER || leader < 0 || leader === deps.nodeId) throw new Error(`no leader for ${f.topic}-${f.partition} (error ${f.errorCode})`);
    const list = byLeader.get(leader) ?? [];
    list.push(f);
    byLeader.set(leader, list);
  }
  const answers = await Promise.all([...byLeader].map(([leader, partitions]) => sendMarkers(deps, leader, { ...m, partitions }, coordinatorEpoch)));
  return answers.find((a) => a !== undefined);
}

/** The leader's answers that mean the markers can never be written: a newer producer or coordinator epoch is there. */
function fences(errorCode: number): boolean {
  return errorCode === ErrorCode.INVALID_PRODUCER_EPOCH || errorCode === ErrorCode.TRANSACTION_COORDINATOR_FENCED;
}

async function sendMarkers(deps: MarkerSenderDeps, leader: number, m: MarkerRequest, coordinatorEpoch: number): Promise<MarkersAbandoned | void> {
  const broker = deps.cluster.brokers().find((b) => b.nodeId === leader);
  const listener = broker && listenerFor(broker.listeners, deps.listenerName);
  if (!listener) throw new Error(`broker ${leader} is not registered`);
  const topics = new Map<string, number[]>();
  for (const p of m.partitions) topics.set(p.topic, [...(topics.get(p.topic) ?? []), p.partition]);
  const conn = await openAnsweringConnection(listener.host, listener.port, `tributary-txn-markers-${deps.nodeId}`, 10_000);
  try {
    const res = await conn.send<WriteTxnMarkersResponse>(ApiKey.WriteTxnMarkers, 1, {
      markers: [{ producerId: m.producerId, producerEpoch: m.producerEpoch, transactionResult: m.commit, coordinatorEpoch, topics: [...topics].map(([name, partitionIndexes]) => ({ name, partitionIndexes })) }],
    });
    const codes = res.markers.flatMap((r) => r.topics.flatMap((t) => t.partitions.map((p) => ({ name: `${t.name}-${p.partitionIndex}`, errorCode: p.errorCode }))));
    const fenced = codes.find((c) => fences(c.errorCode));
    if (fenced) return { abandonedWith: fenced.errorCode };
    const failed = codes.filter((c) => c.errorCode !== 0 && c.errorCode !== ErrorCode.UNKNOWN_TOPIC_OR_PARTITION).map((c) => `${c.name}: ${c.errorCode}`);
    if (failed.length > 0) throw new Error(`broker ${leader} refused markers (${failed.join(', ')})`);
  } finally {
    conn.close();
  }
}
