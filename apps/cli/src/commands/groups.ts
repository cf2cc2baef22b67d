import type { Command } from 'commander';
import { allPages, call, type Schemas } from '../client.ts';
import { collect, contextOf, int, resolveInstance } from '../context.ts';
import { CliError, EXIT } from '../exit-codes.ts';
import { renderList, renderValue, type Io } from '../output.ts';

type Group = Schemas['ConsumerGroup'];
type ResetTo = Schemas['OffsetReset']['to'];

export function groupsCommand(program: Command, io: Io): void {
  const cmd = program.command('groups').alias('consumer-groups').description('Consumer groups (read live from the brokers): list, describe with lag, reset offsets, delete');

  cmd.command('list').description('List consumer groups with their state and total lag').argument('<instance>', 'instance id or name')
    .action(async (ref: string, _o: unknown, c: Command) => {
      const ctx = contextOf(c, io);
      const api = ctx.api();
      const inst = await resolveInstance(api, ref);
      const items = await allPages((cursor) => api.GET('/v1/instances/{id}/consumer-groups', { params: { path: { id: inst.id }, query: { limit: 100, ...(cursor ? { cursor } : {}) } } }));
      renderList(ctx.io, ctx.format, items as Group[], [
        { header: 'GROUP', get: (g) => g.group }, { header: 'STATE', get: (g) => g.state }, { header: 'MEMBERS', get: (g) => g.members.length },
        { header: 'LAG', get: (g) => g.offsets.reduce((n, o) => n + o.lag, 0) },
      ]);
    });

  cmd.command('describe').description('Members, assignments, committed offsets and lag per partition').argument('<instance>', 'instance id or name').argument('<group>', 'group id')
    .action(async (ref: string, group: string, _o: unknown, c: Command) => {
      const ctx = contextOf(c, io);
      const api = ctx.api();
      const inst = await resolveInstance(api, ref);
      const { data } = await call(api.GET('/v1/instances/{id}/consumer-groups/{group}', { params: { path: { id: inst.id, group } } }));
      if (ctx.format !== 'table') return renderValue(ctx.io, ctx.format, data);
      ctx.io.out(`group: ${data.group}\nstate: ${data.state}\nmembers: ${data.members.length}\n`);
      for (const m of data.members) ctx.io.out(`  ${m.memberId} ${m.clientId}@${m.host} ${m.assignment.map((a) => `${a.topic}[${a.partitions.join(',')}]`).join(' ')}\n`);
      ctx.io.out('\n');
      renderList(ctx.io, 'table', data.offsets, [
        { header: 'TOPIC', get: (o) => o.topic }, { header: 'PARTITION', get: (o) => o.partition }, { header: 'COMMITTED', get: (o) => o.committed },
        { header: 'END', get: (o) => o.end }, { header: 'LAG', get: (o) => o.lag },
      ]);
    });

  cmd.command('reset-offsets').description('Move an empty group\'s committed offsets on one topic (--dry-run shows the result without writing)')
    .argument('<instance>', 'instance id or name').argument('<group>', 'group id')
    .requiredOption('-t, --topic <topic>', 'topic whose offsets move')
    .option('--to-earliest', 'to each partition\'s first offset')
    .option('--to-latest', 'to each partition\'s end')
    .option('--to-timestamp <ms>', 'to the first offset at or after this time (epoch milliseconds)', int)
    .option('--to-offset <partition=offset>', 'exact offset for a partition (repeatable)', collect)
    .option('--dry-run', 'print current and new offsets per partition; change nothing')
    .action(async (ref: string, group: string, o: { topic: string; toEarliest?: boolean; toLatest?: boolean; toTimestamp?: number; toOffset?: string[]; dryRun?: boolean }, c: Command) => {
      const ctx = contextOf(c, io);
      const api = ctx.api();
      const chosen = [o.toEarliest, o.toLatest, o.toTimestamp !== undefined, o.toOffset !== undefined].filter(Boolean).length;
      if (chosen !== 1) throw new CliError('choose exactly one of --to-earliest, --to-latest, --to-timestamp, --to-offset', EXIT.usage);
      const to: ResetTo = o.toEarliest ? { kind: 'earliest' } : o.toLatest ? { kind: 'latest' } : o.toTimestamp !== undefined ? { kind: 'timestamp', timestamp: o.toTimestamp }
        : { kind: 'exact', offsets: exactOffsets(o.toOffset ?? []) };
      const inst = await resolveInstance(api, ref);
      if (!o.dryRun) {
        const { data } = await call(api.POST('/v1/instances/{id}/consumer-groups/{group}/offsets', { params: { path: { id: inst.id, group } }, body: { topic: o.topic, to } }));
        return renderValue(ctx.io, ctx.format, data);
      }
      // Dry run: the live group (committed offsets, empty or not) and the topic's partition ranges,
      // so the user sees exactly what would move; nothing is written.
      const [{ data: g }, { data: parts }] = await Promise.all([
        call(api.GET('/v1/instances/{id}/consumer-groups/{group}', { params: { path: { id: inst.id, group } } })),
        call(api.GET('/v1/instances/{id}/topics/{name}/partitions', { params: { path: { id: inst.id, name: o.topic } } })),
      ]);
      const rows = parts.partitions.map((p) => {
        const committed = g.offsets.find((x) => x.topic === o.topic && x.partition === p.partition)?.committed ?? null;
        const target = to.kind === 'earliest' ? p.startOffset : to.kind === 'latest' ? p.endOffset : to.kind === 'exact' ? (to.offsets[String(p.partition)] ?? committed) : 'by timestamp';
        return { partition: p.partition, committed, newOffset: target, start: p.startOffset, end: p.endOffset };
      });
      if (g.state !== 'Empty' && g.state !== 'Dead') ctx.io.err(`note: group ${group} is ${g.state}; the reset would be refused (409 group-not-empty) until its members leave\n`);
      renderList(ctx.io, ctx.format, rows, [
        { header: 'PARTITION', get: (r) => r.partition }, { header: 'COMMITTED', get: (r) => r.committed }, { header: 'NEW', get: (r) => r.newOffset },
        { header: 'START', get: (r) => r.start }, { header: 'END', get: (r) => r.end },
      ]);
      if (ctx.format === 'table') ctx.io.err('dry run: nothing was changed\n');
    });

  cmd.command('delete').description('Delete an empty group and its committed offsets (needs --yes)').argument('<instance>', 'instance id or name').argument('<group>', 'group id')
    .option('-y, --yes', 'confirm')
    .action(async (ref: string, group: string, o: { yes?: boolean }, c: Command) => {
      const ctx = contextOf(c, io);
      const api = ctx.api();
      if (!o.yes) throw new CliError(`deleting group ${group} deletes its committed offsets: pass --yes to confirm`, EXIT.refused);
      const inst = await resolveInstance(api, ref);
      await call(api.DELETE('/v1/instances/{id}/consumer-groups/{group}', { params: { path: { id: inst.id, group } } }));
      renderValue(ctx.io, ctx.format, { deleted: group });
    });
}

function exactOffsets(pairs: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of pairs) {
    const m = /^(\d+)=(\d+)$/.exec(p);
    if (!m) throw new CliError(`--to-offset "${p}" is not partition=offset`, EXIT.usage);
    out[m[1]!] = Number(m[2]);
  }
  return out;
}
