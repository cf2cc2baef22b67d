import { createWriteStream, renameSync, rmSync } from 'node:fs';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Option, type Command } from 'commander';
import { stringify as stringifyYaml } from 'yaml';
import { call, type Api, type Schemas } from '../client.ts';
import { contextOf, duration, int, resolveInstance } from '../context.ts';
import { CliError, EXIT } from '../exit-codes.ts';
import type { Io, OutputFormat } from '../output.ts';
import { readSse } from '@tributary/api-client/sse';
import { payloadText, timeArg, type MessageRecord } from './messages.ts';

export interface TailQuery {
  partition?: number; offset?: number; from?: 'earliest' | 'latest'; durationSeconds?: number; maxRate?: number; maxValueBytes?: number; format?: 'auto' | 'json' | 'base64';
}
export interface Position { partition: number; nextOffset: number }
type Problem = Schemas['Problem'];

/** One record as it arrives: a line per record (table), NDJSON (json) or a YAML document per record. */
function printRecord(io: Io, format: OutputFormat, r: MessageRecord): void {
  if (format === 'json') io.out(`${JSON.stringify(r)}\n`);
  else if (format === 'yaml') io.out(`---\n${stringifyYaml(r)}`);
  else io.out(`${r.partition}\t${r.offset}\t${r.timestamp}\t${payloadText(r.key) ?? '-'}\t${payloadText(r.value) ?? '-'}\n`);
}

/**
 * How long the API may take to answer a tail request (its headers; the `start` event follows them at
 * once). Only the connection is bounded: once the stream is open it runs for its duration (≤ 600 s,
 * with keep-alives every 15 s) and only Ctrl-C or --max-records end it early.
 */
export const TAIL_CONNECT_TIMEOUT_MS = 60_000;

/**
 * One tail stream: the SSE events of GET …/messages/tail until its `end` event. Records go to
 * `onRecord` as they arrive; the answer is where each partition stopped. A stream that closes
 * without `end` (the API or the network went away) and an `error` event are errors.
 *
 * `signal` is the user's stop (Ctrl-C, --max-records), which can come at any moment of any stream —
 * also while this one is still connecting, because with --follow one stream per partition runs at
 * once and another partition's record may be the last one wanted. A stop is never an error: the
 * answer is then where this stream got to (its start offset if it had not started).
 */
export async function tailOnce(api: Api, instanceId: string, topic: string, query: TailQuery, signal: AbortSignal, onRecord: (r: MessageRecord) => void, onStart: (positions: Position[]) => void, connectTimeoutMs = TAIL_CONNECT_TIMEOUT_MS): Promise<Position[]> {
  const positions = new Map<number, number>();
  if (query.partition !== undefined && query.offset !== undefined) positions.set(query.partition, query.offset);
  const reached = () => [...positions].map(([partition, nextOffset]) => ({ partition, nextOffset }));
  if (signal.aborted) return reached();
  // The request's own signal: aborted by the user's stop, or by the connect timer until the answer
  // came. Never AbortSignal.timeout() on the whole request — that would cut a stream mid-way.
  const request = new AbortController();
  const stopRequest = () => request.abort();
  signal.addEventListener('abort', stopRequest, { once: true });
  let timedOut = false;
  const connectTimer = setTimeout(() => { timedOut = true; request.abort(); }, connectTimeoutMs);
  try {
    let body: ReadableStream<Uint8Array>;
    try {
      ({ data: body } = await call(api.GET('/v1/instances/{id}/topics/{name}/messages/tail', {
        params: { path: { id: instanceId, name: topic }, query: query as never }, parseAs: 'stream', signal: request.signal,
      })) as { data: ReadableStream<Uint8Array> });
    } catch (err) {
      if (signal.aborted) return reached();
      if (timedOut) throw new CliError(`the API did not answer the tail within ${connectTimeoutMs / 1000}s`, EXIT.error);
      throw err;
    } finally {
      clearTimeout(connectTimer);
    }
    try {
      for await (const ev of readSse(body)) {
        if (ev.event === 'start') {
          const start = JSON.parse(ev.data) as { positions: Position[] };
          for (const p of start.positions) positions.set(p.partition, p.nextOffset);
          onStart(start.positions);
        } else if (ev.event === 'record') {
          const r = JSON.parse(ev.data) as MessageRecord;
          positions.set(r.partition, r.offset + 1);
          onRecord(r);
        } else if (ev.event === 'end') {
          return (JSON.parse(ev.data) as { positions: Position[] }).positions;
        } else if (ev.event === 'error') {
          const p = JSON.parse(ev.data) as Problem;
          throw new CliError(`the tail stopped: ${p.status} ${p.code}: ${p.detail ?? ''}`, EXIT.error);
        }
      }
    } catch (err) {
      if (signal.aborted) return reached();
      if (err instanceof CliError) throw err;
      throw new CliError(`the tail stream broke: ${(err as Error).message}`, EXIT.error);
    }
    if (signal.aborted) return reached();
    throw new CliError('the tail stream ended without its end event (the API went away?)', EXIT.error);
  } finally {
    signal.removeEventListener('abort', stopRequest);
  }
}

/**
 * `messages tail`: follows a topic live over the API's Server-Sent Events. The API bounds one stream
 * to ≤ 600 s; `--follow` continues where the `end` event says each partition stopped (one stream
 * per partition from its offset, since a stream starts at an offset only for one partition), so
 * nothing is skipped between streams. Ctrl-C or `--max-records` ends it; where it stopped goes to
 * stderr so a `messages read --partition P --offset O` can continue.
 */
export function tailCommand(cmd: Command, io: Io): void {
  cmd.command('tail').description('Follow a topic live (Server-Sent Events): records print as they arrive (-o json: one JSON line each)')
    .argument('<instance>', 'instance id or name').argument('<topic>', 'topic name')
    .addOption(new Option('--from <where>', 'start at each partition\'s end (new records only) or its first record').choices(['latest', 'earliest']).default('latest'))
    .option('--partition <n>', 'one partition only', int)
    .option('--offset <n>', 'start at this offset (with --partition)', int)
    .addOption(new Option('--duration <duration>', 'how long one stream runs (≤ 10m; e.g. 30s)').argParser(duration).default(60_000, '60s'))
    .option('-f, --follow', 'keep following after each stream\'s duration, until Ctrl-C or --max-records')
    .option('-n, --max-records <n>', 'stop after this many records', int)
    .option('--max-rate <n>', 'records per second at most (the API follows a faster topic later, never skipping)', int)
    .addOption(new Option('--format <format>', 'how keys and values are shown').choices(['auto', 'json', 'base64']).default('auto'))
    .option('--max-value-bytes <n>', 'longest value shown whole', int)
    .action(async (ref: string, name: string, o: { from: 'latest' | 'earliest'; partition?: number; offset?: number; duration: number; follow?: boolean; maxRecords?: number; maxRate?: number; format: 'auto' | 'json' | 'base64'; maxValueBytes?: number }, c: Command) => {
      const ctx = contextOf(c, io);
      if (o.offset !== undefined && o.partition === undefined) throw new CliError('--offset needs --partition', EXIT.usage);
      if (o.duration < 1000 || o.duration > 600_000) throw new CliError('--duration must be between 1s and 10m', EXIT.usage);
      const api = ctx.api();
      const inst = await resolveInstance(api, ref);
      const common = { durationSeconds: Math.round(o.duration / 1000), format: o.format, ...(o.maxRate !== undefined ? { maxRate: o.maxRate } : {}), ...(o.maxValueBytes !== undefined ? { maxValueBytes: o.maxValueBytes } : {}) };
      const stop = new AbortController();
      const onSigint = () => stop.abort();
      process.once('SIGINT', onSigint);
      let count = 0;
      const onRecord = (r: MessageRecord) => {
        if (stop.signal.aborted) return;
        printRecord(ctx.io, ctx.format, r);
        count++;
        if (o.maxRecords !== undefined && count >= o.maxRecords) stop.abort();
      };
      let announced = false;
      const onStart = (positions: Position[]) => {
        if (announced) return;
        announced = true;
        ctx.io.err(`tailing ${name} on ${inst.name} from ${positions.map((p) => `${p.partition}:${p.nextOffset}`).join(' ')}${o.follow ? ' (Ctrl-C stops)' : ` for ${common.durationSeconds}s`}\n`);
      };
      let positions: Position[];
      try {
        positions = await tailOnce(api, inst.id, name, { ...common, ...(o.partition !== undefined ? { partition: o.partition } : {}), ...(o.offset !== undefined ? { offset: o.offset } : { from: o.from }) }, stop.signal, onRecord, onStart);
        while (o.follow && !stop.signal.aborted) {
          const rounds = await Promise.all(positions.map((p) => tailOnce(api, inst.id, name, { ...common, partition: p.partition, offset: p.nextOffset }, stop.signal, onRecord, onStart)));
          positions = rounds.flat();
        }
      } finally {
        process.removeListener('SIGINT', onSigint);
      }
      ctx.io.err(`${count} record(s); stopped at ${positions.map((p) => `partition ${p.partition} offset ${p.nextOffset}`).join(', ') || 'no partition'}\n`);
    });
}

/**
 * `messages export`: streams the API's NDJSON or CSV export to a file or stdout without holding it
 * in memory. A file is written under `FILE.partial` and renamed only once the API ended the
 * transfer properly, so a cut transfer (the API aborts it on a broker failure) never leaves a short
 * file that looks whole.
 */
export function exportCommand(cmd: Command, io: Io): void {
  cmd.command('export').description('Export a range of records as NDJSON or CSV, streamed to a file (-O) or stdout')
    .argument('<instance>', 'instance id or name').argument('<topic>', 'topic name')
    .addOption(new Option('--format <format>', 'NDJSON (a MessageRecord per line) or CSV').choices(['ndjson', 'csv']).default('ndjson'))
    .option('-O, --out-file <file>', 'write here (else stdout); replaced only when the export completed')
    .option('--partition <n>', 'one partition only', int)
    .option('--offset <n>', 'start at this offset (with --partition)', int)
    .option('--timestamp <time>', 'start at the first record at or after this time (epoch ms or ISO 8601)')
    .option('--until-timestamp <time>', 'stop before the first record at or after this time')
    .option('--max-records <n>', 'stop after this many records', int)
    .action(async (ref: string, name: string, o: { format: 'ndjson' | 'csv'; outFile?: string; partition?: number; offset?: number; timestamp?: string; untilTimestamp?: string; maxRecords?: number }, c: Command) => {
      const ctx = contextOf(c, io);
      const api = ctx.api();
      const inst = await resolveInstance(api, ref);
      const query = {
        format: o.format, ...(o.partition !== undefined ? { partition: o.partition } : {}), ...(o.offset !== undefined ? { offset: o.offset } : {}),
        ...(o.timestamp !== undefined ? { timestamp: timeArg(o.timestamp) } : {}), ...(o.untilTimestamp !== undefined ? { untilTimestamp: timeArg(o.untilTimestamp) } : {}),
        ...(o.maxRecords !== undefined ? { maxRecords: o.maxRecords } : {}),
      };
      const { data: body } = await call(api.GET('/v1/instances/{id}/topics/{name}/messages/export', { params: { path: { id: inst.id, name }, query: query as never }, parseAs: 'stream' }));
      let bytes = 0;
      const counted = async function* (source: ReadableStream<Uint8Array>) {
        const reader = source.getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          bytes += value.byteLength;
          yield value;
        }
      };
      const partial = o.outFile ? `${o.outFile}.partial` : undefined;
      try {
        if (partial) {
          await pipeline(counted(body as ReadableStream<Uint8Array>), createWriteStream(partial, { mode: 0o644 }));
          renameSync(partial, o.outFile!);
        } else {
          const decoder = new TextDecoder();
          await pipeline(counted(body as ReadableStream<Uint8Array>), new Writable({
            write(chunk: Uint8Array, _enc, done) { ctx.io.out(decoder.decode(chunk, { stream: true })); done(); },
            final(done) { const rest = decoder.decode(); if (rest) ctx.io.out(rest); done(); },
          }));
        }
      } catch (err) {
        if (partial) rmSync(partial, { force: true });
        throw new CliError(`the export was cut after ${bytes} bytes (${(err as Error).message})${o.outFile ? `; ${o.outFile} was not written` : '; the output above is incomplete'}`, EXIT.error);
      }
      ctx.io.err(`exported ${bytes} bytes of ${o.format}${o.outFile ? ` to ${o.outFile}` : ''}\n`);
    });
}
