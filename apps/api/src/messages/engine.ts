import { randomInt } from 'node:crypto';
import { AdminError, type KafkaAdminClient } from '@tributary/kafka-admin';
import { encodeRecordBatch, ErrorCode } from '@tributary/protocol';
import { ApiError } from '../errors.ts';
import type { FieldError } from '@tributary/contracts';
import { encodeCursor, type PartitionPosition } from './cursor.ts';
import { fromKafka, fromKafkaCode, type DenialContext } from './kafka-errors.ts';
import { mergeByTime, presentRecord, recordsOf, walkRecords, type FetchedRecord, type RenderOptions, type WalkProgress } from './records.ts';
import { idempotentIdentity, partitionForKey } from './partitioner.ts';

/**
 * The message engine: reads, searches, sends and follows a topic through a client connection that
 * is logged in as the caller's principal (principal.ts). Every bound is enforced here: bytes per
 * fetch, records per page, scan budgets, the fixed end of a search. Pure planning (cursors,
 * rendering, filters, merging) lives in the sibling modules.
 */
export interface TopicView {
  partitions: number[];
  start: Map<number, bigint>;
  end: Map<number, bigint>;
}

export class TopicAccess {
  readonly client: KafkaAdminClient;
  readonly denial: DenialContext;
  constructor(client: KafkaAdminClient, denial: DenialContext) {
    this.client = client;
    this.denial = denial;
  }

  get topic(): string { return this.denial.topic; }

  /** Runs a broker call; Kafka errors become the caller's problems (403 names the ACL to grant). */
  async call<T>(fn: () => Promise<T>, operation: DenialContext['operation'] = this.denial.operation): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw fromKafka(err, { ...this.denial, operation });
    }
  }

  /** Partitions and their offsets now. A topic the principal may not DESCRIBE is a 403. */
  async view(): Promise<TopicView> {
    const md = await this.call(() => this.client.metadata([this.topic]), 'DESCRIBE');
    const t = md.topics.find((x) => x.name === this.topic);
    if (!t || t.partitions.length === 0) throw new ApiError('not-found', `topic ${this.topic} not found on the instance's brokers`);
    const partitions = t.partitions.map((p) => p.partition).sort((a, b) => a - b);
    const [start, end] = await Promise.all([
      this.call(() => this.client.listOffsets(this.topic, partitions, 'earliest'), 'DESCRIBE'),
      this.call(() => this.client.listOffsets(this.topic, partitions, 'latest'), 'DESCRIBE'),
    ]);
    return { partitions, start, end };
  }

  /** First offset at or after `ms` in each partition (the partition's end when there is none). */
  async offsetsForTime(view: TopicView, partitions: number[], ms: number): Promise<Map<number, bigint>> {
    const found = await this.call(() => this.client.listOffsets(this.topic, partitions, ms), 'DESCRIBE');
    return new Map(partitions.map((p) => {
      const o = found.get(p) ?? -1n;
      return [p, o < 0n ? view.end.get(p)! : o];
    }));
  }

  /**
   * One Fetch round over the given positions, `maxBytes` shared among them (each at least 16 KiB;
   * the broker returns a first batch whole even when larger, so every round makes progress). The
   * answer holds each partition's fetched bytes; records are decoded by the caller (recordsOf for
   * all at once, walkRecords one batch at a time).
   */
  async fetch(positions: { partition: number; next: bigint; end: bigint }[], maxBytes: number, maxWaitMs = 0): Promise<Map<number, Fetched>> {
    const share = Math.max(16 * 1024, Math.floor(maxBytes / Math.max(1, positions.length)));
    const fetched = await this.call(() => this.client.fetchRecords(this.topic, positions.map((p) => ({ partition: p.partition, offset: p.next, maxBytes: share })), { maxWaitMs }), 'READ');
    const out = new Map<number, Fetched>();
    for (const p of positions) {
      const data = fetched.get(p.partition);
      if (!data) continue;
      if (data.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
        throw new ApiError('validation-failed', `offset ${p.next} of partition ${p.partition} is no longer in the log (retention or compaction removed it; the log now starts at ${data.logStartOffset})`, {
          errors: [{ in: 'query', path: '/offset', message: `partition ${p.partition} starts at ${data.logStartOffset}` }],
        });
      }
      if (data.errorCode !== 0) throw fromKafkaCode(data.errorCode, { ...this.denial, operation: 'READ' });
      out.set(p.partition, { partition: p.partition, blob: data.records, from: p.next, end: p.end });
    }
    return out;
  }
}

/** A partition's part of one Fetch round: its bytes and the offset range wanted from them. */
export interface Fetched { partition: number; blob: Buffer | null; from: bigint; end: bigint }

export const collect = (f: Fetched) => recordsOf(f.partition, f.blob, f.from, f.end);
export const walk = (f: Fetched, progress: WalkProgress) => walkRecords(f.partition, f.blob, f.from, f.end, progress);

// ---- Where a read starts -------------------------------------------------------------------------

export interface StartSpec {
  partition?: number | undefined;
  offset?: number | undefined;
  timestampMs?: number | undefined;
  from?: 'earliest' | 'latest' | undefined;
  /** For from=latest: how many records back. */
  back?: number | undefined;
  /** Where bad fields are reported (`query` for GETs, `body` for a search). */
  where: FieldError['in'];
  /** Refuse more partitions than this (read pages: the cursor must fit in a URL). */
  limitPartitions?: number | undefined;
  /** JSON Pointer prefix of the position fields (`/from` for a search body). */
  prefix?: string;
}

export function checkPartition(view: TopicView, partition: number, where: FieldError['in'], path: string): void {
  if (!view.partitions.includes(partition)) {
    throw new ApiError('validation-failed', `topic has ${view.partitions.length} partition(s), numbered 0 to ${view.partitions.length - 1}; there is no partition ${partition}`, {
      errors: [{ in: where, path, message: `no partition ${partition} (the topic has ${view.partitions.length})` }],
    });
  }
}

/** Start positions for a new read, or 422 with the field that is out of range. */
export async function startPositions(access: TopicAccess, view: TopicView, s: StartSpec, partitionsWanted?: number[]): Promise<PartitionPosition[]> {
  const pre = s.prefix ?? '';
  let partitions = view.partitions;
  if (partitionsWanted) {
    partitionsWanted.forEach((p, i) => checkPartition(view, p, s.where, `${pre === '/from' ? '' : pre}/partitions/${i}`));
    partitions = [...new Set(partitionsWanted)].sort((a, b) => a - b);
  }
  if (s.partition !== undefined) {
    checkPartition(view, s.partition, s.where, `${pre}/partition`);
    partitions = [s.partition];
  }
  if (s.offset !== undefined) {
    if (partitions.length !== 1) throw new ApiError('validation-failed', 'an offset needs exactly one partition', { errors: [{ in: s.where, path: `${pre}/offset`, message: 'give a partition with the offset' }] });
    const p = partitions[0]!;
    const o = BigInt(s.offset);
    const start = view.start.get(p)!;
    const end = view.end.get(p)!;
    if (o < start) throw new ApiError('validation-failed', `offset ${o} is before the log start ${start} of partition ${p} (older records were removed by retention)`, { errors: [{ in: s.where, path: `${pre}/offset`, message: `below the log start offset ${start}` }] });
    if (o > end) throw new ApiError('validation-failed', `offset ${o} is past the end of partition ${p}: its next offset is ${end}`, { errors: [{ in: s.where, path: `${pre}/offset`, message: `past the end offset ${end}` }] });
    return [{ partition: p, next: o }];
  }
  if (s.limitPartitions !== undefined && partitions.length > s.limitPartitions) {
    throw new ApiError('validation-failed', `the topic has ${partitions.length} partitions; a page spans at most ${s.limitPartitions} (its cursor must fit in a URL): name a partition, or search`, {
      errors: [{ in: s.where, path: `${pre}/partition`, message: `give a partition (the topic has ${partitions.length})` }],
    });
  }
  if (s.timestampMs !== undefined) {
    const ts = s.timestampMs;
    const at = await access.offsetsForTime(view, partitions, ts);
    // A time before a partition's log start: when retention has removed records (start > 0) and the
    // first record left is later than the time asked for, records at or after that time may be gone.
    // Starting at the log start would skip them silently; say so instead (from=earliest reads what is left).
    const truncated = partitions.filter((p) => view.start.get(p)! > 0n && at.get(p) === view.start.get(p) && view.start.get(p)! < view.end.get(p)!);
    if (truncated.length > 0) {
      const fetched = await access.fetch(truncated.map((p) => ({ partition: p, next: view.start.get(p)!, end: view.start.get(p)! + 1n })), 16 * 1024 * truncated.length);
      for (const p of truncated) {
        const first = collect(fetched.get(p)!).records[0];
        if (first && Number(first.timestampMs) > ts) {
          throw new ApiError('validation-failed', `timestamp ${new Date(ts).toISOString()} is before the log start of partition ${p}: retention removed offsets below ${view.start.get(p)}, whose first record left is from ${new Date(Number(first.timestampMs)).toISOString()}; records at or after the time asked for may be gone (from=earliest reads what is left)`, {
            errors: [{ in: s.where, path: `${pre}/timestamp`, message: `before the log start of partition ${p} (${new Date(Number(first.timestampMs)).toISOString()})` }],
          });
        }
      }
    }
    return partitions.map((p) => ({ partition: p, next: at.get(p)! }));
  }
  if (s.from === 'latest') {
    const back = BigInt(s.back ?? 0);
    return partitions.map((p) => {
      const start = view.start.get(p)!;
      const end = view.end.get(p)!;
      return { partition: p, next: end - back > start ? end - back : start };
    });
  }
  return partitions.map((p) => ({ partition: p, next: view.start.get(p)! }));
}

/** Positions from a cursor, checked against the topic now (a partition gone or a log start passed is a 422 at /cursor). */
export function cursorPositions(view: TopicView, positions: PartitionPosition[], where: FieldError['in']): PartitionPosition[] {
  for (const p of positions) {
    if (!view.partitions.includes(p.partition)) throw new ApiError('validation-failed', `the cursor names partition ${p.partition}, which the topic no longer has`, { errors: [{ in: where, path: '/cursor', message: 'unknown partition' }] });
    const start = view.start.get(p.partition)!;
    if (p.next < start) {
      throw new ApiError('validation-failed', `partition ${p.partition} now starts at ${start}: records ${p.next}..${start - 1n} were removed by retention since the cursor was made`, {
        errors: [{ in: where, path: '/cursor', message: `partition ${p.partition} starts at ${start}` }],
      });
    }
  }
  return positions;
}

// ---- Read a page ---------------------------------------------------------------------------------

export interface PageOptions extends RenderOptions { limit: number; maxBytes: number }

export async function readPage(access: TopicAccess, view: TopicView, positions: PartitionPosition[], o: PageOptions) {
  const ends = new Map(positions.map((p) => [p.partition, view.end.get(p.partition)!]));
  const active = positions.filter((p) => p.next < ends.get(p.partition)!).map((p) => ({ ...p, end: ends.get(p.partition)! }));
  const runs = new Map<number, FetchedRecord[]>();
  const scanned = new Map<number, bigint>();
  // A fetch may return nothing usable for a partition (only control batches): fetch on, bounded.
  let pending = active;
  for (let round = 0; pending.length > 0 && round < 8; round++) {
    const fetched = await access.fetch(pending, o.maxBytes);
    const again: typeof pending = [];
    for (const p of pending) {
      const f = fetched.get(p.partition);
      if (!f) continue;
      const got = collect(f);
      scanned.set(p.partition, got.scannedTo);
      if (got.records.length > 0) runs.set(p.partition, got.records);
      else if (got.scannedTo > p.next && got.scannedTo < p.end) again.push({ ...p, next: got.scannedTo });
    }
    pending = again;
  }
  const { taken, takenPerPartition } = mergeByTime(runs, o.limit, o.maxBytes, o.maxValueBytes);
  const next = positions.map((p) => {
    const run = runs.get(p.partition);
    const k = takenPerPartition.get(p.partition) ?? 0;
    if (run && k < run.length) return { partition: p.partition, next: run[k]!.offset };
    return { partition: p.partition, next: scanned.get(p.partition) ?? p.next };
  });
  const more = next.some((p) => p.next < ends.get(p.partition)!);
  return {
    records: taken.map((r) => presentRecord(r, o)),
    partitions: next.map((p) => ({ partition: p.partition, startOffset: Number(view.start.get(p.partition)!), endOffset: Number(ends.get(p.partition)!), nextOffset: Number(p.next) })),
    next,
    nextCursor: more ? encodeCursor({ kind: 'read', topic: access.topic, positions: next }) : undefined,
    range: positions.map((p, i) => ({ partition: p.partition, from: Number(p.next), to: Number(next[i]!.next) })),
  };
}

/** One record, whole (no truncation). 422 past the end or before the start, 404 for a gap (compaction, control record). */
export async function readOne(access: TopicAccess, view: TopicView, partition: number, offset: number, o: RenderOptions, maxBytes: number) {
  checkPartition(view, partition, 'params', '/partition');
  const at = BigInt(offset);
  const start = view.start.get(partition)!;
  const end = view.end.get(partition)!;
  if (at < start) throw new ApiError('validation-failed', `offset ${at} is before the log start ${start} of partition ${partition}`, { errors: [{ in: 'params', path: '/offset', message: `below the log start offset ${start}` }] });
  if (at >= end) throw new ApiError('validation-failed', `offset ${at} is past the end of partition ${partition} (next offset ${end})`, { errors: [{ in: 'params', path: '/offset', message: `at or past the end offset ${end}` }] });
  const fetched = await access.fetch([{ partition, next: at, end: at + 1n }], maxBytes);
  const f = fetched.get(partition);
  const rec = f ? collect(f).records.find((r) => r.offset === at) : undefined;
  if (!rec) throw new ApiError('not-found', `partition ${partition} holds no record at offset ${at} (removed by compaction, or a transaction marker)`);
  return presentRecord(rec, o);
}

// ---- Send ----------------------------------------------------------------------------------------

export interface SendInput {
  key: Buffer | null;
  value: Buffer | null;
  headers: { key: string; value: Buffer | null }[];
  partition?: number | undefined;
  idempotency?: { secret: Buffer; accountId: string; keyId: string; instanceId: string; idempotencyKey: string } | undefined;
}

export async function sendRecord(access: TopicAccess, input: SendInput): Promise<{ partition: number; offset: number; timestamp: string; idempotent: boolean }> {
  const md = await access.call(() => access.client.metadata([access.topic]), 'WRITE');
  const t = md.topics.find((x) => x.name === access.topic);
  if (!t || t.partitions.length === 0) throw new ApiError('not-found', `topic ${access.topic} not found on the instance's brokers`);
  const count = t.partitions.length;
  if (input.partition !== undefined && input.partition >= count) {
    throw new ApiError('validation-failed', `topic has ${count} partition(s), numbered 0 to ${count - 1}`, { errors: [{ in: 'body', path: '/partition', message: `no partition ${input.partition} (the topic has ${count})` }] });
  }
  const identity = input.idempotency ? idempotentIdentity(input.idempotency.secret, { ...input.idempotency, topic: access.topic }) : null;
  const partition = input.partition ?? (input.key ? partitionForKey(input.key, count) : identity ? identity.partitionHash % count : randomInt(count));
  const now = Date.now();
  const batch = encodeRecordBatch({
    records: [{ key: input.key, value: input.value, headers: input.headers }],
    baseTimestamp: now,
    ...(identity ? { producerId: identity.producerId, producerEpoch: 0, baseSequence: 0 } : { producerId: -1n, producerEpoch: -1, baseSequence: -1 }),
  });
  try {
    const r = await access.client.produceBatch(access.topic, partition, batch, { acks: -1, idempotent: identity !== null });
    const ts = r.logAppendTimeMs >= 0n ? Number(r.logAppendTimeMs) : now;
    return { partition, offset: Number(r.baseOffset), timestamp: new Date(ts).toISOString(), idempotent: identity !== null };
  } catch (err) {
    if (err instanceof AdminError && err.code === ErrorCode.INVALID_PRODUCER_EPOCH) {
      throw new ApiError('conflict', 'this Idempotency-Key was used for a send that a newer one replaced; use a new key');
    }
    throw fromKafka(err, { ...access.denial, operation: 'WRITE' });
  }
}
