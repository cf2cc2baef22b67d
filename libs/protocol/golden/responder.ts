import { createServer, type Server, type Socket } from 'node:net';
import { FrameReader } from '../src/framing/frame-reader.ts';
import { decodeRequest, encodeResponse } from '../src/headers/headers.ts';
import { API_DEFINITIONS, ApiKey } from '../src/generated/api-definitions.ts';
import { ErrorCode } from '../src/errors/error-codes.ts';
import { assignBatchOffsets, splitBatches } from '../src/records/record-set.ts';
import type { FetchRequest } from '../src/generated/messages/fetch-request.ts';
import type { FindCoordinatorRequest } from '../src/generated/messages/find-coordinator-request.ts';
import type { JoinGroupRequest } from '../src/generated/messages/join-group-request.ts';
import type { ListOffsetsRequest } from '../src/generated/messages/list-offsets-request.ts';
import type { MetadataRequest } from '../src/generated/messages/metadata-request.ts';
import type { OffsetCommitRequest } from '../src/generated/messages/offset-commit-request.ts';
import type { OffsetFetchRequest } from '../src/generated/messages/offset-fetch-request.ts';
import type { ProduceRequest } from '../src/generated/messages/produce-request.ts';
import type { SyncGroupRequest } from '../src/generated/messages/sync-group-request.ts';

/**
 * A scripted peer that answers just enough of the protocol (one broker, one-partition topics,
 * one-member groups) for real clients to send the requests we want to record byte for byte.
 * It is a capture tool for golden fixtures, not a broker.
 */
export interface CapturedFrame {
  apiKey: number;
  apiVersion: number;
  frame: Buffer;
}

const ADVERTISED: Record<number, number> = {
  [ApiKey.Produce]: 11,
  [ApiKey.Fetch]: 12, // v13+ address topics by id; one name-addressed range is enough here
  [ApiKey.ListOffsets]: 10,
  [ApiKey.Metadata]: 12,
  [ApiKey.OffsetCommit]: 9,
  [ApiKey.OffsetFetch]: 7,
  [ApiKey.FindCoordinator]: 4,
  [ApiKey.JoinGroup]: 9,
  [ApiKey.Heartbeat]: 4,
  [ApiKey.LeaveGroup]: 5,
  [ApiKey.SyncGroup]: 5,
  [ApiKey.ApiVersions]: 3,
  [ApiKey.InitProducerId]: 4,
};

export class CaptureResponder {
  readonly frames: CapturedFrame[] = [];
  #server: Server | null = null;
  #port = 0;
  /** Per topic: stored batches (offsets assigned) and the next offset. */
  readonly #logs = new Map<string, { batches: Buffer[]; next: bigint }>();
  readonly #sockets = new Set<Socket>();

  get port(): number {
    return this.#port;
  }

  async start(): Promise<void> {
    this.#server = createServer((socket) => this.#serve(socket));
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    const address = this.#server.address();
    this.#port = typeof address === 'object' && address ? address.port : 0;
  }

  async stop(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }

  #serve(socket: Socket): void {
    this.#sockets.add(socket);
    socket.on('close', () => this.#sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const reader = new FrameReader(64 * 1024 * 1024);
    socket.on('data', (chunk) => {
      for (const frame of reader.push(chunk)) {
        const copy = Buffer.from(frame);
        const req = decodeRequest(copy);
        this.frames.push({ apiKey: req.api.apiKey, apiVersion: req.apiVersion, frame: copy });
        const body = this.#answer(req.api.apiKey, req.apiVersion, req.body);
        if (body === undefined) continue; // acks=0 produce: no response
        socket.write(Buffer.concat(encodeResponse(req.api.apiKey, req.apiVersion, req.header.correlationId, body)));
      }
    });
  }

  #log(topic: string): { batches: Buffer[]; next: bigint } {
    let log = this.#logs.get(topic);
    if (!log) this.#logs.set(topic, (log = { batches: [], next: 0n }));
    return log;
  }

  /** Puts batches into a topic as if a producer had sent them (to serve them to a consumer). */
  seed(topic: string, records: Buffer): void {
    this.#append(topic, records);
  }

  #append(topic: string, records: Buffer): bigint {
    const log = this.#log(topic);
    const base = log.next;
    const copy = Buffer.from(records);
    for (const span of splitBatches(copy).batches) {
      assignBatchOffsets(copy.subarray(span.position, span.position + span.size), log.next, 0);
      log.next += BigInt(span.header.lastOffsetDelta + 1);
    }
    log.batches.push(copy);
    return base;
  }

  #answer(apiKey: number, version: number, body: unknown): unknown {
    const node = { nodeId: 1, host: '127.0.0.1', port: this.#port };
    switch (apiKey) {
      case ApiKey.ApiVersions:
        return {
          errorCode: 0,
          apiKeys: Object.entries(ADVERTISED).map(([key, max]) => ({ apiKey: Number(key), minVersion: API_DEFINITIONS.get(Number(key))!.request.minVersion, maxVersion: max })),
        };
      case ApiKey.Metadata: {
        const req = body as MetadataRequest;
        const names = req.topics === null || req.topics.length === 0 ? ['golden'] : req.topics.map((t) => t.name ?? 'golden');
        return {
          brokers: [{ ...node, rack: null }],
          clusterId: 'golden-cluster',
          controllerId: 1,
          topics: names.map((name) => ({ errorCode: 0, name, isInternal: false, partitions: [{ errorCode: 0, partitionIndex: 0, leaderId: 1, leaderEpoch: 0, replicaNodes: [1], isrNodes: [1], offlineReplicas: [] }] })),
        };
      }
      case ApiKey.Produce: {
        const req = body as ProduceRequest;
        const responses = req.topicData.map((t) => ({
          name: t.name,
          partitionResponses: t.partitionData.map((p) => {
            const baseOffset = p.records && Buffer.isBuffer(p.records) ? this.#append(t.name, p.records) : this.#log(t.name).next;
            return { index: p.index, errorCode: 0, baseOffset, logAppendTimeMs: -1n, logStartOffset: 0n };
          }),
        }));
        return req.acks === 0 ? undefined : { responses };
      }
      case ApiKey.ListOffsets: {
        const req = body as ListOffsetsRequest;
        return {
          topics: req.topics.map((t) => ({
            name: t.name,
            partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: 0, ...(version === 0 ? { oldStyleOffsets: [0n] } : {}), timestamp: -1n, offset: p.timestamp === -1n ? this.#log(t.name).next : 0n })),
          })),
        };
      }
      case ApiKey.Fetch: {
        const req = body as FetchRequest;
        return {
          errorCode: 0,
          sessionId: 0,
          responses: req.topics.map((t) => ({
            topic: t.topic,
            partitions: t.partitions.map((p) => {
              const log = this.#log(t.topic);
              // Everything is served to a fetch from the start; later fetches are at the end.
              const records = p.fetchOffset === 0n ? Buffer.concat(log.batches) : Buffer.alloc(0);
              return { partitionIndex: p.partition, errorCode: 0, highWatermark: log.next, lastStableOffset: log.next, logStartOffset: 0n, abortedTransactions: [], preferredReadReplica: -1, records };
            }),
          })),
        };
      }
      case ApiKey.FindCoordinator: {
        const req = body as FindCoordinatorRequest;
        const keys = version >= 4 ? req.coordinatorKeys : [req.key];
        return version >= 4 ? { coordinators: keys.map((key) => ({ key, ...node, errorCode: 0 })) } : { errorCode: 0, ...node };
      }
      case ApiKey.JoinGroup: {
        const req = body as JoinGroupRequest;
        if (req.memberId === '' && version >= 4) return { errorCode: ErrorCode.MEMBER_ID_REQUIRED, generationId: -1, memberId: 'member-1', leader: '', members: [] };
        const memberId = req.memberId || 'member-1';
        const protocol = req.protocols[0]!;
        return { errorCode: 0, generationId: 1, protocolType: req.protocolType, protocolName: protocol.name, leader: memberId, memberId, members: [{ memberId, groupInstanceId: req.groupInstanceId, metadata: protocol.metadata }] };
      }
      case ApiKey.SyncGroup: {
        const req = body as SyncGroupRequest;
        const mine = req.assignments.find((a) => a.memberId === req.memberId);
        return { errorCode: 0, protocolType: req.protocolType, protocolName: req.protocolName, assignment: mine?.assignment ?? Buffer.alloc(0) };
      }
      case ApiKey.Heartbeat:
        return { errorCode: 0 };
      case ApiKey.LeaveGroup:
        return { errorCode: 0, members: [] };
      case ApiKey.OffsetFetch: {
        const req = body as OffsetFetchRequest;
        return { errorCode: 0, topics: (req.topics ?? []).map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, committedOffset: -1n, metadata: '', errorCode: 0 })) })) };
      }
      case ApiKey.OffsetCommit: {
        const req = body as OffsetCommitRequest;
        return { topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: 0 })) })) };
      }
      case ApiKey.InitProducerId:
        return { errorCode: 0, producerId: 1000n, producerEpoch: 0 };
    }
    throw new Error(`capture responder does not answer API ${apiKey}`);
  }
}
