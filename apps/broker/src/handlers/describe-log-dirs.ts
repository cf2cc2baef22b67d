import { statfsSync } from 'node:fs';
import { defineApi } from './api-module.ts';
import { AclOperation as Op } from '../security/acl.ts';
import { allowedOnCluster } from '../security/request-guards.ts';
import { ErrorCode } from '@tributary/protocol';

/**
 * DescribeLogDirs: this broker has one log directory (its data dir); each partition reports its
 * size on disk. Operators and the API read partition sizes through it (as Kafka's tools do), and
 * v4 adds the volume's total and usable bytes, v5 whether the directory is cordoned (KIP-1066; never
 * here: there is one directory, and nothing cordons it). Unknown topics or partitions are simply absent, as in Kafka.
 */
export const describeLogDirsApi = defineApi({
  api: 'DescribeLogDirs',
  minVersion: 0,
  maxVersion: 5,
  serves: 'any-broker',
  authorization: { kind: 'before', acl: 'DESCRIBE on the cluster', allowed: (ctx, _request, session) => allowedOnCluster(ctx, session, Op.DESCRIBE), deniedCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED },
  handle: (ctx, request) => {
    const req = request.body;
    const wanted = req.topics === null ? ctx.topics.list().map((t) => ({ topic: t.name, partitions: Array.from({ length: t.partitions }, (_, p) => p) })) : req.topics;
    const topics = wanted
      .map((t) => ({
        name: t.topic,
        partitions: t.partitions.flatMap((p) => {
          const log = ctx.topics.log(t.topic, p);
          return log ? [{ partitionIndex: p, partitionSize: BigInt(log.sizeBytes), offsetLag: 0n, isFutureKey: false }] : [];
        }),
      }))
      .filter((t) => t.partitions.length > 0);
    let volume = { totalBytes: -1n, usableBytes: -1n };
    try {
      const s = statfsSync(ctx.config.dataDir, { bigint: true });
      volume = { totalBytes: s.blocks * s.bsize, usableBytes: s.bavail * s.bsize };
    } catch {
      // not every filesystem answers statfs; -1 means unknown, as in Kafka
    }
    return { throttleTimeMs: 0, errorCode: 0, results: [{ errorCode: 0, logDir: ctx.config.dataDir, topics, ...volume }] };
  },
});
