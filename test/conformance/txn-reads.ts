import { ApiKey, type FetchResponse, type ListOffsetsResponse } from '@tributary/protocol';
import { decodeBatches } from './normalise.ts';
import type { Outcome, RawClient } from './raw-client.ts';

/**
 * What consumers of either isolation level see of a partition that transactions write to, read with
 * raw requests, for the differential transaction scenarios on a cluster (cluster-transactions.ts,
 * protocol-txn-markers.test.ts).
 */

/** The partition's end offsets as read_committed (the last stable offset) and read_uncommitted consumers see them. */
export async function endOffsets(c: RawClient, topic: string, partition: number): Promise<{ readCommitted: bigint; readUncommitted: bigint }> {
  const latest = async (isolationLevel: number) => (await c.request<ListOffsetsResponse>(ApiKey.ListOffsets, 7, { replicaId: -1, isolationLevel, topics: [{ name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp: -1n }] }] })).topics[0]!.partitions[0]!.offset;
  return { readCommitted: await latest(1), readUncommitted: await latest(0) };
}

/** A read_committed consumer's Fetch of the partition from offset 0, record bytes decoded (so that producer ids in batch headers can be relabelled). */
export async function readCommitted(c: RawClient, topic: string, partition: number): Promise<Outcome> {
  const fetched = await c.send(ApiKey.Fetch, 12, {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1 << 20,
    isolationLevel: 1,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, topicId: '00000000-0000-0000-0000-000000000000', partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }],
    forgottenTopicsData: [],
    rackId: '',
  });
  if (fetched.kind === 'response') {
    for (const t of (fetched.body as FetchResponse).responses) for (const p of t.partitions) (p as { records: unknown }).records = p.records ? decodeBatches(Array.isArray(p.records) ? Buffer.concat(p.records as Buffer[]) : (p.records as Buffer)) : p.records;
  }
  return fetched;
}
