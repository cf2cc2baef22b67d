import { ErrorCode } from '@tributary/protocol';
import { AclOperation as Op } from '../security/acl.ts';
import { allowedOnCluster } from '../security/request-guards.ts';
import { topicNumber } from '../topics/topic-configs.ts';
import { writeMarkersLocally } from '../txn/marker-writer.ts';
import { defineApi } from './api-module.ts';

/**
 * WriteTxnMarkers: a transaction coordinator on another broker has the COMMIT or ABORT markers
 * written to the partitions this broker leads (txn/marker-writer.ts). Only brokers send it
 * (CLUSTER_ACTION on the cluster); a partition led elsewhere answers NOT_LEADER_OR_FOLLOWER and
 * the coordinator retries once it knows the new leader.
 */
export const writeTxnMarkersApi = defineApi({
  api: 'WriteTxnMarkers',
  minVersion: 1,
  // v2 adds the transaction version of each marker; a marker of a bumped epoch (transaction
  // version 2) already ends the transaction and fences the epoch before it, whatever it says.
  maxVersion: 2,
  serves: 'any-broker',
  authorization: { kind: 'per-resource', acl: 'CLUSTER_ACTION on the cluster' },
  handle: async (ctx, request, session) => {
    const mayWrite = allowedOnCluster(ctx, session, Op.CLUSTER_ACTION);
    const deps = { replicas: ctx.replicas, groups: ctx.groups, notify: () => ctx.appends.notify(), minInsyncReplicas: (topic: string) => topicNumber(ctx.config, ctx.topics.get(topic)?.configs ?? {}, 'min.insync.replicas') };
    return {
      markers: await Promise.all(request.body.markers.map(async (m) => {
        const partitions = m.topics.flatMap((t) => t.partitionIndexes.map((partition) => ({ topic: t.name, partition })));
        const errors = new Map<string, number>();
        if (!mayWrite) for (const p of partitions) errors.set(`${p.topic}\0${p.partition}`, ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
        else {
          // Answered once every in-sync replica has the markers (marker-writer.ts), as Kafka's acks=all append.
          const outcome = await writeMarkersLocally(deps, { producerId: m.producerId, producerEpoch: m.producerEpoch, commit: m.transactionResult, partitions }, m.coordinatorEpoch);
          for (const f of outcome.failed) errors.set(`${f.topic}\0${f.partition}`, f.errorCode);
        }
        return { producerId: m.producerId, topics: m.topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, errorCode: errors.get(`${t.name}\0${partitionIndex}`) ?? 0 })) })) };
      })),
    };
  },
});
