import { Option, type Command } from 'commander';
import { call, type Schemas } from '../client.ts';
import { contextOf, int, resolveInstance } from '../context.ts';
import { CliError, EXIT } from '../exit-codes.ts';
import { renderList, renderValue, type Io } from '../output.ts';
import { exportCommand, tailCommand } from './messages-stream.ts';

type Payload = Schemas['MessageRecord']['value'];
export type MessageRecord = Schemas['MessageRecord'];
export const payloadText = (p: Payload | null | undefined) => (p === null || p === undefined ? null : typeof p.data === 'string' ? p.data : JSON.stringify(p.data));
const text = payloadText;
export const RECORD_COLUMNS = [
  { header: 'PARTITION', get: (r: MessageRecord) => r.partition }, { header: 'OFFSET', get: (r: MessageRecord) => r.offset },
  { header: 'TIMESTAMP', get: (r: MessageRecord) => r.timestamp }, { header: 'KEY', get: (r: MessageRecord) => text(r.key) }, { header: 'VALUE', get: (r: MessageRecord) => text(r.value) },
];

/**
 * Messages over the HTTP message API: read a page, send one record, search, tail (SSE) and export
 * (NDJSON/CSV streamed). The API reads as its own Kafka principal per key, which the ACLs must allow.
 */
export function messagesCommand(program: Command, io: Io): void {
  const cmd = program.command('messages').alias('message').description('Read, send, search, tail and export a topic\'s records through the HTTP message API');
  cmd.command('read').description('Read a page of records: from the start or end, by partition and offset, or by time')
    .argument('<instance>', 'instance id or name').argument('<topic>', 'topic name')
    .addOption(new Option('--from <where>', 'start at each partition\'s first or last record').choices(['earliest', 'latest']))
    .option('--partition <n>', 'one partition (with --offset)', int)
    .option('--offset <n>', 'first offset to read (with --partition)', int)
    .option('--timestamp <ms>', 'first records at or after this time (epoch ms)', int)
    .option('--limit <n>', 'records in the page (≤ 1000)', int, 50)
    .option('--cursor <cursor>', 'continue from a previous page\'s nextCursor')
    .action(async (ref: string, name: string, o: { from?: 'earliest' | 'latest'; partition?: number; offset?: number; timestamp?: number; limit: number; cursor?: string }, c: Command) => {
      const ctx = contextOf(c, io);
      const api = ctx.api();
      const inst = await resolveInstance(api, ref);
      const query = {
        limit: o.limit, ...(o.from ? { from: o.from } : {}), ...(o.partition !== undefined ? { partition: o.partition } : {}), ...(o.offset !== undefined ? { offset: o.offset } : {}),
        ...(o.timestamp !== undefined ? { timestamp: o.timestamp } : {}), ...(o.cursor ? { cursor: o.cursor } : {}),
      };
      const { data } = await call(api.GET('/v1/instances/{id}/topics/{name}/messages', { params: { path: { id: inst.id, name }, query: query as never } }));
      if (ctx.format !== 'table') return renderValue(ctx.io, ctx.format, data);
      renderList(ctx.io, 'table', data.records, RECORD_COLUMNS);
      if (data.nextCursor) ctx.io.err(`more: --cursor ${data.nextCursor}\n`);
    });
  cmd.command('send').description('Send one record (text key and value; --json sends the value as JSON)')
    .argument('<instance>', 'instance id or name').argument('<topic>', 'topic name')
    .option('-k, --key <key>', 'record key (text)')
    .requiredOption('-v, --value <value>', 'record value (text, or JSON with --json)')
    .option('--json', 'the value is JSON')
    .option('--partition <n>', 'partition (default: by key)', int)
    .option('-H, --header <key=value>', 'a header (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .action(async (ref: string, name: string, o: { key?: string; value: string; json?: boolean; partition?: number; header?: string[] }, c: Command) => {
      const ctx = contextOf(c, io);
      const api = ctx.api();
      let value: { encoding: 'text' | 'json'; data: unknown } = { encoding: 'text', data: o.value };
      if (o.json) {
        try { value = { encoding: 'json', data: JSON.parse(o.value) }; } catch { throw new CliError('--value is not JSON', EXIT.usage); }
      }
      const headers = (o.header ?? []).map((h) => {
        const i = h.indexOf('=');
        if (i <= 0) throw new CliError(`header "${h}" is not key=value`, EXIT.usage);
        return { key: h.slice(0, i), value: { encoding: 'text' as const, data: h.slice(i + 1) } };
      });
      const inst = await resolveInstance(api, ref);
      const { data } = await call(api.POST('/v1/instances/{id}/topics/{name}/messages', {
        params: { path: { id: inst.id, name } },
        body: { ...(o.key !== undefined ? { key: { encoding: 'text', data: o.key } } : {}), value, headers, ...(o.partition !== undefined ? { partition: o.partition } : {}) } as never,
      }));
      renderValue(ctx.io, ctx.format, data);
    });
  searchCommand(cmd, io);
  tailCommand(cmd, io);
  exportCommand(cmd, io);
}

type SearchInput = Schemas['MessageSearchInput'];
type SearchResult = Schemas['MessageSearchResult'];
/** Epoch milliseconds, or an ISO 8601 date-time as the API takes it. */
export const timeArg = (v: string): number | string => (/^\d+$/.test(v) ? Number(v) : v);

/**
 * `messages search`: the API scans within a budget per request and answers a cursor while the range
 * is not complete; this follows the cursor until `--limit` matches are found or every partition is
 * scanned to the end offsets fixed when the search started (progress on stderr).
 */
function searchCommand(cmd: Command, io: Io): void {
  cmd.command('search').description('Find records by key, header, value text or a JSON path (all filters must hold), scanning the whole range page by page')
    .argument('<instance>', 'instance id or name').argument('<topic>', 'topic name')
    .option('--key <key>', 'key equals (text)')
    .option('--key-prefix <prefix>', 'key starts with (text)')
    .option('--header <name[=value]>', 'a header with this name (and value)')
    .option('--contains <text>', 'value contains this text')
    .option('--json-path <path=json>', 'a JSON path of the value equals a JSON value, e.g. \'$.customer.id=42\' (text that is not JSON is a string)')
    .option('--partition <n>', 'only this partition (repeatable)', (v: string, prev: number[] = []) => [...prev, int(v)])
    .option('--from-offset <n>', 'start at this offset (with one --partition)', int)
    .option('--from-timestamp <time>', 'start at the first record at or after this time (epoch ms or ISO 8601)')
    .option('--to-timestamp <time>', 'stop before the first record at or after this time (epoch ms or ISO 8601)')
    .option('--limit <n>', 'stop after this many matches', int, 50)
    .addOption(new Option('--format <format>', 'how keys and values are shown').choices(['auto', 'json', 'base64']).default('auto'))
    .option('--max-value-bytes <n>', 'longest value shown whole (longer ones are truncated)', int)
    .option('--cursor <cursor>', 'continue a previous search (same filters)')
    .action(async (ref: string, name: string, o: {
      key?: string; keyPrefix?: string; header?: string; contains?: string; jsonPath?: string; partition?: number[]; fromOffset?: number;
      fromTimestamp?: string; toTimestamp?: string; limit: number; format: 'auto' | 'json' | 'base64'; maxValueBytes?: number; cursor?: string;
    }, c: Command) => {
      const ctx = contextOf(c, io);
      const filters: SearchInput['filters'] = {};
      if (o.key !== undefined || o.keyPrefix !== undefined) filters.key = { encoding: 'text', ...(o.key !== undefined ? { equals: o.key } : {}), ...(o.keyPrefix !== undefined ? { prefix: o.keyPrefix } : {}) };
      if (o.header !== undefined) {
        const i = o.header.indexOf('=');
        filters.header = i < 0 ? { name: o.header } : { name: o.header.slice(0, i), value: o.header.slice(i + 1) };
      }
      if (o.contains !== undefined) filters.valueContains = o.contains;
      if (o.jsonPath !== undefined) {
        const i = o.jsonPath.indexOf('=');
        if (i <= 0) throw new CliError('--json-path must be path=value, e.g. $.customer.id=42', EXIT.usage);
        const raw = o.jsonPath.slice(i + 1);
        let equals: unknown = raw;
        try { equals = JSON.parse(raw); } catch { /* not JSON: compared as a string */ }
        filters.jsonPath = { path: o.jsonPath.slice(0, i), equals };
      }
      if (Object.keys(filters).length === 0) throw new CliError('give at least one filter: --key, --key-prefix, --header, --contains or --json-path', EXIT.usage);
      const api = ctx.api();
      const inst = await resolveInstance(api, ref);
      const base: SearchInput = {
        filters, format: o.format,
        ...(o.partition ? { partitions: o.partition } : {}),
        ...(o.fromOffset !== undefined || o.fromTimestamp !== undefined ? { from: { ...(o.fromOffset !== undefined ? { offset: o.fromOffset } : {}), ...(o.fromTimestamp !== undefined ? { timestamp: timeArg(o.fromTimestamp) } : {}) } } : {}),
        ...(o.toTimestamp !== undefined ? { to: { timestamp: timeArg(o.toTimestamp) } } : {}),
        ...(o.maxValueBytes !== undefined ? { maxValueBytes: o.maxValueBytes } : {}),
      } as SearchInput;
      const matches: MessageRecord[] = [];
      let cursor = o.cursor;
      let last: SearchResult;
      let scanned = 0;
      do {
        const body = { ...base, limit: Math.min(500, o.limit - matches.length), ...(cursor ? { cursor } : {}) };
        last = (await call(api.POST('/v1/instances/{id}/topics/{name}/messages/search', { params: { path: { id: inst.id, name } }, body }))).data;
        matches.push(...last.matches);
        scanned += last.progress.scannedRecords;
        cursor = last.nextCursor;
        const remaining = last.progress.partitions.reduce((n, p) => n + p.remaining, 0);
        ctx.io.err(`searched ${scanned} records, ${matches.length} matches${last.progress.complete ? '' : `, ${remaining} records left`}\n`);
      } while (cursor !== undefined && !last.progress.complete && matches.length < o.limit);
      const result = { matches, scannedRecords: scanned, complete: last.progress.complete, ...(cursor && !last.progress.complete ? { nextCursor: cursor } : {}) };
      if (ctx.format !== 'table') return renderValue(ctx.io, ctx.format, result);
      renderList(ctx.io, 'table', matches, RECORD_COLUMNS);
      if (result.nextCursor) ctx.io.err(`stopped at --limit ${o.limit}; more: --cursor ${result.nextCursor}\n`);
    });
}
