import { ApiError } from '../errors.ts';
import { encodeCursor, type PartitionPosition } from './cursor.ts';
import { walk, type TopicAccess } from './engine.ts';
import type { FilterableRecord } from './filters.ts';
import { presentRecord, type RenderOptions, type WalkProgress } from './records.ts';

export interface ScanBudget { maxBytes: number; maxRecords: number; maxMs: number }

export type StopReason = 'end' | 'limit' | 'budget-bytes' | 'budget-records' | 'budget-time';

/**
 * A bounded scan: partitions are read from their `next` to their fixed `end` (set when the search
 * began and carried in the cursor), every record in that range is tested exactly once across all
 * the responses of one search, and each response stops at the first of: `limit` matches, the byte
 * or record budget, the time budget, or the end of every partition. Where it stopped is the cursor,
 * record-exact: nothing between two responses is skipped or tested twice.
 */
export async function scan(access: TopicAccess, positions: Required<PartitionPosition>[], o: {
  test: (r: FilterableRecord) => boolean;
  limit: number;
  budget: ScanBudget;
  /** Records with a timestamp at or after this are past the range: the partition is done there. */
  untilMs?: number | undefined;
  render: RenderOptions;
  filtersDigest: string;
  /** Bytes per Fetch round (all partitions together). */
  fetchBytes?: number;
}) {
  const deadline = Date.now() + o.budget.maxMs;
  const state = positions.map((p) => ({ ...p }));
  const matches: ReturnType<typeof presentRecord>[] = [];
  let scannedRecords = 0;
  let scannedBytes = 0;
  let stopped: StopReason | null = null;
  const fetchBytes = o.fetchBytes ?? 4 * 1024 * 1024;

  while (stopped === null) {
    const active = state.filter((p) => p.next < p.end);
    if (active.length === 0) {
      stopped = 'end';
      break;
    }
    const room = Math.max(1024, o.budget.maxBytes - scannedBytes);
    let fetched;
    try {
      fetched = await access.fetch(active, Math.min(fetchBytes, room));
    } catch (err) {
      if (err instanceof ApiError && err.code === 'not-found') {
        throw new ApiError('topic-deleted', `topic ${access.topic} was deleted during the search, after ${scannedRecords} records (${matches.length} matches so far in this response); the search cannot continue`);
      }
      throw err;
    }
    for (const p of active) {
      if (stopped !== null) break;
      const f = fetched.get(p.partition);
      if (!f) continue;
      const walked: WalkProgress = { scannedTo: p.next, bytes: 0 };
      let consumedAll = true;
      for (const rec of walk(f, walked)) {
        if (o.untilMs !== undefined && Number(rec.timestampMs) >= o.untilMs) {
          p.end = rec.offset; // the range ends here for this partition
          break;
        }
        scannedRecords++;
        p.next = rec.offset + 1n;
        if (o.test(rec.record)) {
          matches.push(presentRecord(rec, o.render));
          if (matches.length >= o.limit) stopped = 'limit';
        }
        if (stopped === null && scannedRecords >= o.budget.maxRecords) stopped = 'budget-records';
        if (stopped !== null) {
          consumedAll = false;
          break;
        }
      }
      scannedBytes += walked.bytes;
      // Every record of the fetched batches was looked at: continue after the batches (skips
      // control records and compaction gaps, which hold nothing to match).
      if (consumedAll && walked.scannedTo > p.next) p.next = walked.scannedTo < p.end ? walked.scannedTo : p.end;
      if (consumedAll && p.next > p.end) p.next = p.end;
    }
    if (stopped === null && scannedBytes >= o.budget.maxBytes) stopped = 'budget-bytes';
    if (stopped === null && Date.now() >= deadline) stopped = 'budget-time';
  }
  if (stopped !== 'end' && state.every((p) => p.next >= p.end)) stopped = 'end';
  const complete = state.every((p) => p.next >= p.end);
  return {
    matches,
    progress: {
      scannedRecords,
      scannedBytes,
      matched: matches.length,
      complete,
      stoppedBecause: stopped!,
      partitions: state.map((p) => ({ partition: p.partition, nextOffset: Number(p.next), endOffset: Number(p.end), remaining: Number(p.end > p.next ? p.end - p.next : 0n) })),
    },
    nextCursor: complete ? undefined : encodeCursor({ kind: 'search', topic: access.topic, positions: state, filters: o.filtersDigest }),
    range: positions.map((p, i) => ({ partition: p.partition, from: Number(p.next), to: Number(state[i]!.next) })),
  };
}
