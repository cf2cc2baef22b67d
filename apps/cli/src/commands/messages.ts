import { Option, type Command } from 'commander';
import { call, type Schemas } from '../client.ts';
import { contextOf, int, resolveInstance } from '../context.ts';
import { CliError, EXIT } from '../exit-codes.ts';
import { renderList, renderValue, type Io } from '../output.ts';

type Payload = Schemas['MessageRecord']['value'];
const text = (p: Payload | null | undefined) => (p === null || p === undefined ? null : typeof p.data === 'string' ? p.data : JSON.stringify(p.data));

/**
 * Messages over the HTTP message API (read a page, send one record). Search, tail and export have
 * endpoints too but no command yet (apps/cli/README.md).
 */
export function messagesCommand(program: Command, io: Io): void {
  const cmd = program.command('messages').alias('message').description('Read and send a topic\'s records through the HTTP message API');
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
      renderList(ctx.io, 'table', data.records, [
        { header: 'PARTITION', get: (r) => r.partition }, { header: 'OFFSET', get: (r) => r.offset }, { header: 'TIMESTAMP', get: (r) => r.timestamp },
        { header: 'KEY', get: (r) => text(r.key) }, { header: 'VALUE', get: (r) => text(r.value) },
      ]);
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
}
