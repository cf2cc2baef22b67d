import { setTimeout as sleep } from 'node:timers/promises';
import type { PartitionPosition } from './cursor.ts';
import { collect, walk, type TopicAccess } from './engine.ts';
import { mergeByTime, presentRecord, type FetchedRecord, type RenderOptions, type WalkProgress } from './records.ts';
import { renderBytes } from './render.ts';
import type { QuotaLease } from './quota.ts';

const NO_END = 0x7fffffffffffffffn;

export interface Sink {
  /** Resolves once the bytes are handed to the socket (waits for 'drain': memory stays bounded). */
  write(chunk: string): Promise<void>;
  /** True once the client went away. */
  closed(): boolean;
}

/**
 * Live tail: follows the partitions from `positions` for `durationMs`, sending each record as an
 * SSE `record` event, at most `maxRate` a second. A faster topic is followed later, never skipped:
 * the `end` event says where each partition stopped, so a client can continue with a read.
 */
export async function tail(access: TopicAccess, positions: PartitionPosition[], o: { durationMs: number; maxRate: number; render: RenderOptions; sink: Sink; heartbeatMs?: number; quota?: QuotaLease }): Promise<{ reason: 'duration' | 'closed'; sent: number; positions: PartitionPosition[] }> {
  const deadline = Date.now() + o.durationMs;
  const gap = 1000 / o.maxRate;
  const state = positions.map((p) => ({ ...p }));
  let nextSlot = Date.now();
  let sent = 0;
  let lastWrite = Date.now();
  const heartbeat = o.heartbeatMs ?? 15_000;
  const stop = () => o.sink.closed() || Date.now() >= deadline;
  while (!stop()) {
    // The byte quota paces the tail: with its window used up, wait for the next (the end event says where it stopped).
    if (o.quota && o.quota.remaining <= 1) {
      await o.quota.waitForRoom(stop);
      if (stop()) break;
    }
    const wait = Math.max(0, Math.min(1_000, deadline - Date.now()));
    const fetched = await access.fetch(state.map((p) => ({ partition: p.partition, next: p.next, end: NO_END })), 1024 * 1024, wait);
    const runs = new Map<number, FetchedRecord[]>();
    for (const p of state) {
      const f = fetched.get(p.partition);
      if (!f) continue;
      const got = collect(f);
      if (got.records.length > 0) runs.set(p.partition, got.records);
      else if (got.scannedTo > p.next) p.next = got.scannedTo;
    }
    const { taken } = mergeByTime(runs, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, o.render.maxValueBytes);
    let charged = 0;
    for (const rec of taken) {
      if (o.quota && charged >= o.quota.remaining) break; // the rest waits for room (fetched again later)
      if (o.sink.closed() || Date.now() >= deadline) break;
      // Pacing, not synchronisation: the rate bound is a promise to the client.
      const now = Date.now();
      if (nextSlot > now) await sleep(Math.min(nextSlot - now, Math.max(0, deadline - now)));
      if (Date.now() >= deadline || o.sink.closed()) break;
      // Strict: a slow fetch does not earn a burst later (never more than maxRate in any second).
      nextSlot = Math.max(nextSlot, Date.now()) + gap;
      await o.sink.write(`id: ${rec.partition}:${rec.offset}\nevent: record\ndata: ${JSON.stringify(presentRecord(rec, o.render))}\n\n`);
      lastWrite = Date.now();
      sent++;
      charged += rec.size;
      state.find((p) => p.partition === rec.partition)!.next = rec.offset + 1n;
    }
    await o.quota?.charge(charged);
    if (Date.now() - lastWrite >= heartbeat && !o.sink.closed()) {
      await o.sink.write(': keep-alive\n\n');
      lastWrite = Date.now();
    }
  }
  return { reason: o.sink.closed() ? 'closed' : 'duration', sent, positions: state };
}

// ---- Export --------------------------------------------------------------------------------------

const CSV_HEADER = 'partition,offset,timestamp,timestamp_type,key_encoding,key,value_encoding,value,headers\r\n';

/**
 * Cells a spreadsheet would read as a formula (OWASP "CSV injection": = + - @, and tab or CR, which
 * some spreadsheets strip before looking for one). Message keys and values are whatever producers
 * wrote, so an export opened in a spreadsheet must never run them: such a cell gets a leading `'`.
 * A cell that already starts with `'` gets one too, so the escape is reversible: a reader drops one
 * leading `'` from every cell that starts with one.
 */
const FORMULA_START = /^[=+\-@\t\r']/;

export function csvField(s: string): string {
  const guarded = FORMULA_START.test(s) ? `'${s}` : s;
  return /[",\r\n\t']/.test(guarded) ? `"${guarded.replaceAll('"', '""')}"` : guarded;
}

/** One CSV row: keys and values as UTF-8 text when valid, base64 otherwise (with their encoding beside them). */
export function csvRow(r: FetchedRecord): string {
  const key = renderBytes(r.record.key, 'auto', Number.MAX_SAFE_INTEGER);
  const value = renderBytes(r.record.value, 'auto', Number.MAX_SAFE_INTEGER);
  const headers = r.record.headers.map((h) => {
    const v = renderBytes(h.value, 'auto', Number.MAX_SAFE_INTEGER);
    return { key: h.key, encoding: v?.encoding ?? null, value: v?.data ?? null };
  });
  return [
    String(r.partition), r.offset.toString(), new Date(Number(r.timestampMs)).toISOString(), r.timestampType === 1 ? 'LogAppendTime' : 'CreateTime',
    key?.encoding ?? 'null', csvField(String(key?.data ?? '')), value?.encoding ?? 'null', csvField(String(value?.data ?? '')),
    csvField(headers.length > 0 ? JSON.stringify(headers) : ''),
  ].join(',') + '\r\n';
}

/**
 * Streams a range as NDJSON (one MessageRecord per line, values whole) or CSV. Memory is bounded
 * by one Fetch round (1 MiB shared among partitions, plus a first batch larger than that) and the
 * socket's buffer: each write waits for the socket to drain before the next round is fetched.
 */
export async function exportRange(access: TopicAccess, positions: Required<PartitionPosition>[], o: { format: 'ndjson' | 'csv'; maxRecords?: number | undefined; untilMs?: number | undefined; sink: Sink; fetchBytes?: number; quota?: QuotaLease }): Promise<{ records: number; bytes: number; positions: Required<PartitionPosition>[]; reason: 'end' | 'max-records' | 'closed' }> {
  const state = positions.map((p) => ({ ...p }));
  let records = 0;
  let bytes = 0;
  if (o.format === 'csv') await o.sink.write(CSV_HEADER);
  const limit = o.maxRecords ?? Number.MAX_SAFE_INTEGER;
  while (!o.sink.closed() && records < limit) {
    const active = state.filter((p) => p.next < p.end);
    if (active.length === 0) break;
    // The byte quota paces an export: with its window used up, the next round waits for the next window.
    if (o.quota && o.quota.remaining <= 1) {
      await o.quota.waitForRoom(o.sink.closed);
      if (o.sink.closed()) break;
    }
    const fetched = await access.fetch(active, Math.min(o.fetchBytes ?? 1024 * 1024, o.quota?.remaining ?? Number.MAX_SAFE_INTEGER));
    for (const p of active) {
      const f = fetched.get(p.partition);
      if (!f) continue;
      const walked: WalkProgress = { scannedTo: p.next, bytes: 0 };
      let out = '';
      let stopped = false;
      let recordBytes = 0;
      for (const rec of walk(f, walked)) {
        if (records >= limit) {
          stopped = true;
          break;
        }
        if (o.untilMs !== undefined && Number(rec.timestampMs) >= o.untilMs) {
          p.end = rec.offset;
          break;
        }
        out += o.format === 'csv' ? csvRow(rec) : `${JSON.stringify(presentRecord(rec, { format: 'auto', maxValueBytes: Number.MAX_SAFE_INTEGER }))}\n`;
        records++;
        recordBytes += rec.size;
        p.next = rec.offset + 1n;
        // Hand over in pieces of ~256 KiB so one round never holds much more than one batch.
        if (out.length > 256 * 1024) {
          await o.sink.write(out);
          out = '';
          if (o.sink.closed()) {
            await o.quota?.charge(recordBytes);
            return { records, bytes: bytes + walked.bytes, positions: state, reason: 'closed' };
          }
        }
      }
      bytes += walked.bytes;
      if (out) await o.sink.write(out);
      await o.quota?.charge(recordBytes);
      if (!stopped && walked.scannedTo > p.next) p.next = walked.scannedTo < p.end ? walked.scannedTo : p.end;
      if (p.next > p.end) p.next = p.end;
      if (records >= limit || o.sink.closed()) break;
    }
  }
  const reason = o.sink.closed() ? 'closed' : state.every((p) => p.next >= p.end) ? 'end' : 'max-records';
  return { records, bytes, positions: state, reason };
}
