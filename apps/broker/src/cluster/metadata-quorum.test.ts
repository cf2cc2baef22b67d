import { describe, expect, it } from 'vitest';
import { describeMetadataQuorum, type QuorumInputs } from './metadata-quorum.ts';

const listeners = (port: number) => [{ name: 'PLAINTEXT', host: '127.0.0.1', port }];
const voter = (nodeId: number, progress: { revision: bigint; atMs: number } | null) => ({ nodeId, listeners: listeners(9090 + nodeId), progress });
const base: QuorumInputs = { leaderId: 2, leaderEpoch: 41n, committed: 100n, voters: [], nowMs: 5_000 };

describe('the metadata quorum as DescribeQuorum describes it', () => {
  it('names the controller as leader in its epoch, the log end (etcd\'s committed revision) as the high watermark, and every voter in id order', () => {
    const q = describeMetadataQuorum({ ...base, voters: [voter(3, { revision: 100n, atMs: 4_990 }), voter(2, { revision: 98n, atMs: 5_000 }), voter(1, { revision: 100n, atMs: 4_995 })] });
    expect(q).toMatchObject({ leaderId: 2, leaderEpoch: 41, highWatermark: 100n });
    expect(q.voters.map((v) => v.nodeId)).toEqual([1, 2, 3]);
    // The leader stands for the log itself: at its end, fetched and caught up now (as Kafka reports its leader).
    expect(q.voters[1]).toMatchObject({ nodeId: 2, logEndOffset: 100n, lastFetchTimestamp: 5_000n, lastCaughtUpTimestamp: 5_000n });
    expect(q.voters[0]).toMatchObject({ nodeId: 1, logEndOffset: 100n, lastFetchTimestamp: 4_995n, lastCaughtUpTimestamp: 4_995n });
    expect(q.voters[2]!.listeners).toEqual(listeners(9093));
  });

  it('gives a voter behind the committed revision its log end, its last answer and the last time it was seen caught up (-1 if never), and one that did not answer -1 everywhere', () => {
    const q = describeMetadataQuorum({ ...base, voters: [voter(1, { revision: 90n, atMs: 4_900 }), voter(2, null), voter(3, null), { ...voter(4, { revision: 99n, atMs: 4_950 }), lastCaughtUpMs: 3_000 }] });
    expect(q.voters[0]).toMatchObject({ logEndOffset: 90n, lastFetchTimestamp: 4_900n, lastCaughtUpTimestamp: -1n });
    expect(q.voters[2]).toMatchObject({ logEndOffset: -1n, lastFetchTimestamp: -1n, lastCaughtUpTimestamp: -1n });
    expect(q.voters[3]).toMatchObject({ logEndOffset: 99n, lastFetchTimestamp: 4_950n, lastCaughtUpTimestamp: 3_000n });
  });

  it('moves the log end to a revision a voter applied after the committed one was read, so no voter is ahead of the leader (kafka-metadata-quorum prints a negative lag otherwise)', () => {
    const q = describeMetadataQuorum({ ...base, voters: [voter(1, { revision: 104n, atMs: 4_999 }), voter(2, null)] });
    expect(q.highWatermark).toBe(104n);
    expect(q.voters.find((v) => v.nodeId === 2)!.logEndOffset).toBe(104n);
    expect(q.voters.find((v) => v.nodeId === 1)!.lastCaughtUpTimestamp).toBe(4_999n);
  });

  it('puts the epoch (an etcd create revision) into the int32 Kafka\'s field has', () => {
    expect(describeMetadataQuorum({ ...base, leaderEpoch: 7n }).leaderEpoch).toBe(7);
    expect(describeMetadataQuorum({ ...base, leaderEpoch: 2n ** 31n - 1n }).leaderEpoch).toBe(2 ** 31 - 1);
  });
});
