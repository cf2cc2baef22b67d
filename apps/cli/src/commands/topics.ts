import type { Command } from 'commander';
import { allPages, call, type Schemas } from '../client.ts';
import { collect, contextOf, int, timeoutOption, keyValues, resolveInstance } from '../context.ts';
import { CliError, EXIT } from '../exit-codes.ts';
import { renderList, renderValue, type Io } from '../output.ts';
import { waitOperation } from '../wait.ts';

type Topic = Schemas['Topic'];
const columns = [
  { header: 'NAME', get: (t: Topic) => t.name },
  { header: 'PARTITIONS', get: (t: Topic) => t.partitions },
  { header: 'RF', get: (t: Topic) => t.replicationFactor },
  { header: 'PHASE', get: (t: Topic) => t.status.phase },
  { header: 'CONFIGS', get: (t: Topic) => t.configs },
];

export function topicsCommand(program: Command, io: Io): void {
  const cmd = program.command('topics').alias('topic').description('Topics of an instance: list, get, create, update, grow partitions, delete');

  cmd.command('list').description('List the topics of an instance').argument('<instance>', 'instance id or name')
    .option('--name <name>', 'exact name, or a prefix ending in *')
    .action(async (ref: string, o: { name?: string }, c: Command) => {
      const ctx = contextOf(c, io);
      const api = ctx.api();
      const inst = await resolveInstance(api, ref);
      const items = await allPages((cursor) => api.GET('/v1/instances/{id}/topics', { params: { path: { id: inst.id }, query: { limit: 200, ...(o.name ? { name: o.name } : {}), ...(cursor ? { cursor } : {}) } } }));
      renderList(ctx.io, ctx.format, items, columns);
    });

  cmd.command('get').description('Show a topic').argument('<instance>', 'instance id or name').argument('<topic>', 'topic name')
    .action(async (ref: string, name: string, _o: unknown, c: Command) => {
      const ctx = contextOf(c, io);
      const api = ctx.api();
      const inst = await resolveInstance(api, ref);
      renderValue(ctx.io, ctx.format, (await call(api.GET('/v1/instances/{id}/topics/{name}', { params: { path: { id: inst.id, name } } }))).data);
    });

  cmd.command('create').description('Create a topic').argument('<instance>', 'instance id or name').argument('<topic>', 'topic name')
    .requiredOption('--partitions <n>', 'number of partitions', int)
    .requiredOption('--replication-factor <n>', 'replicas per partition', int)
    .option('-c, --config <key=value>', 'topic config, e.g. retention.ms=86400000 (repeatable)', collect)
    .option('-l, --label <key=value>', 'label (repeatable)', collect)
    .option('-w, --wait', 'wait until the topic exists on the brokers')
    .addOption(timeoutOption('how long --wait waits'))
    .action(async (ref: string, name: string, o: { partitions: number; replicationFactor: number; config?: string[]; label?: string[]; wait?: boolean; timeout: number }, c: Command) => {
      const ctx = contextOf(c, io);
      const api = ctx.api();
      const inst = await resolveInstance(api, ref);
      const { data } = await call(api.POST('/v1/instances/{id}/topics', {
        params: { path: { id: inst.id } },
        body: { name, partitions: o.partitions, replicationFactor: o.replicationFactor, configs: keyValues(o.config, 'config'), labels: keyValues(o.label, 'label') },
      }));
      if (o.wait) await waitOperation(api, ctx.io, data.operation.id, { timeoutMs: o.timeout });
      renderValue(ctx.io, ctx.format, data);
    });

  cmd.command('update').description('Set or unset topic configs (unset returns a key to its default); guarded by If-Match')
    .argument('<instance>', 'instance id or name').argument('<topic>', 'topic name')
    .option('-c, --config <key=value>', 'set a config (repeatable)', collect)
    .option('-u, --unset <key>', 'remove a config so the default applies again (repeatable)', collect)
    .option('-w, --wait', 'wait until the brokers have it')
    .addOption(timeoutOption('how long --wait waits'))
    .action(async (ref: string, name: string, o: { config?: string[]; unset?: string[]; wait?: boolean; timeout: number }, c: Command) => {
      const ctx = contextOf(c, io);
      const api = ctx.api();
      const inst = await resolveInstance(api, ref);
      const { data: topic } = await call(api.GET('/v1/instances/{id}/topics/{name}', { params: { path: { id: inst.id, name } } }));
      const configs: Record<string, string> = { ...topic.configs, ...keyValues(o.config, 'config') };
      for (const k of o.unset ?? []) delete configs[k];
      if (!o.config?.length && !o.unset?.length) throw new CliError('nothing to change: pass --config key=value or --unset key', EXIT.usage);
      const { data } = await call(api.PUT('/v1/instances/{id}/topics/{name}', {
        params: { path: { id: inst.id, name } }, body: { configs, labels: topic.labels }, headers: { 'if-match': topic.etag },
      }));
      if (o.wait) await waitOperation(api, ctx.io, data.operation.id, { timeoutMs: o.timeout });
      renderValue(ctx.io, ctx.format, data);
    });

  cmd.command('partitions').description('Live partition state (leader, ISR, offsets, size); with --grow, add partitions (they never shrink)')
    .argument('<instance>', 'instance id or name').argument('<topic>', 'topic name')
    .option('--grow <n>', 'new total number of partitions', int)
    .option('-w, --wait', 'wait until the brokers have the new partitions')
    .addOption(timeoutOption('how long --wait waits'))
    .action(async (ref: string, name: string, o: { grow?: number; wait?: boolean; timeout: number }, c: Command) => {
      const ctx = contextOf(c, io);
      const api = ctx.api();
      const inst = await resolveInstance(api, ref);
      if (o.grow !== undefined) {
        const { data } = await call(api.POST('/v1/instances/{id}/topics/{name}/partitions', { params: { path: { id: inst.id, name } }, body: { partitions: o.grow } }));
        if (o.wait) await waitOperation(api, ctx.io, data.operation.id, { timeoutMs: o.timeout });
        renderValue(ctx.io, ctx.format, data);
        return;
      }
      const { data } = await call(api.GET('/v1/instances/{id}/topics/{name}/partitions', { params: { path: { id: inst.id, name } } }));
      renderList(ctx.io, ctx.format, data.partitions, [
        { header: 'PARTITION', get: (p) => p.partition }, { header: 'LEADER', get: (p) => p.leader }, { header: 'REPLICAS', get: (p) => p.replicas.join(',') },
        { header: 'ISR', get: (p) => p.isr.join(',') }, { header: 'START', get: (p) => p.startOffset }, { header: 'END', get: (p) => p.endOffset }, { header: 'BYTES', get: (p) => p.sizeBytes },
      ]);
    });

  cmd.command('delete').description('Delete a topic and its data (needs --yes)').argument('<instance>', 'instance id or name').argument('<topic>', 'topic name')
    .option('-y, --yes', 'confirm: the topic and its messages are deleted')
    .option('-w, --wait', 'wait until the brokers have deleted it')
    .addOption(timeoutOption('how long --wait waits'))
    .action(async (ref: string, name: string, o: { yes?: boolean; wait?: boolean; timeout: number }, c: Command) => {
      const ctx = contextOf(c, io);
      const api = ctx.api();
      const inst = await resolveInstance(api, ref);
      if (!o.yes) throw new CliError(`deleting topic ${name} deletes its messages: pass --yes to confirm`, EXIT.refused);
      const { data: topic } = await call(api.GET('/v1/instances/{id}/topics/{name}', { params: { path: { id: inst.id, name } } }));
      const { data } = await call(api.DELETE('/v1/instances/{id}/topics/{name}', { params: { path: { id: inst.id, name } }, headers: { 'if-match': topic.etag } }));
      if (o.wait) await waitOperation(api, ctx.io, data.operation.id, { timeoutMs: o.timeout });
      renderValue(ctx.io, ctx.format, data);
    });
}
