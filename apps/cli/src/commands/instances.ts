import { Option, type Command } from 'commander';
import { formatMinor } from '@tributary/pricing';
import { allPages, call } from '../client.ts';
import { collect, contextOf, int, timeoutOption, keyValues, resolveInstance, type Instance } from '../context.ts';
import { CliError, EXIT } from '../exit-codes.ts';
import { renderList, renderValue, type Io } from '../output.ts';
import { waitInstance, waitInstanceGone, waitOperation } from '../wait.ts';

const columns = [
  { header: 'ID', get: (i: Instance) => i.id },
  { header: 'NAME', get: (i: Instance) => i.name },
  { header: 'PHASE', get: (i: Instance) => i.status.phase },
  { header: 'BROKERS', get: (i: Instance) => `${i.status.brokers}/${i.spec.brokers}` },
  { header: 'MBPS', get: (i: Instance) => i.spec.bandwidthMBps },
  { header: 'DISK_GIB', get: (i: Instance) => i.spec.diskGiB },
  { header: 'ZONE', get: (i: Instance) => i.spec.zone },
  { header: 'BOOTSTRAP', get: (i: Instance) => i.status.bootstrapServers },
];


export function instancesCommand(program: Command, io: Io): void {
  const cmd = program.command('instances').alias('instance').description('Kafka instances: list, get, create, scale, renew, delete, wait');

  cmd.command('list').description('List instances')
    .option('-l, --label <key=value>', 'only instances with this label')
    .option('--name <name>', 'exact name, or a prefix ending in *')
    .action(async (opts: { label?: string; name?: string }, c: Command) => {
      const ctx = contextOf(c, io);
      const api = ctx.api();
      const items = await allPages((cursor) => api.GET('/v1/instances', { params: { query: { limit: 200, ...(opts.label ? { label: opts.label } : {}), ...(opts.name ? { name: opts.name } : {}), ...(cursor ? { cursor } : {}) } } }));
      renderList(ctx.io, ctx.format, items, columns);
    });

  cmd.command('get').description('Show an instance (by id or name)').argument('<instance>', 'id or name')
    .action(async (ref: string, _opts: unknown, c: Command) => {
      const ctx = contextOf(c, io);
      renderValue(ctx.io, ctx.format, await resolveInstance(ctx.api(), ref));
    });

  cmd.command('create').description('Create an instance (the API answers at once; --wait waits until it is Running)')
    .argument('<name>', 'instance name (lowercase letters, digits and "-")')
    .addOption(new Option('--zone <zone>', 'zone').choices(['zone-a', 'zone-b', 'zone-c']).default('zone-a'))
    .option('--brokers <n>', 'number of brokers', int, 1)
    .option('--bandwidth <mbps>', 'sold bandwidth tier in MB/s (20, 40, 100, 200, 400, 800, 1600)', int, 20)
    .option('--disk <gib>', 'disk in GiB (multiple of 100)', int, 100)
    .option('--partition-limit <n>', 'maximum partitions', int, 100)
    .option('--topic-limit <n>', 'maximum topics', int, 50)
    .option('--group-limit <n>', 'maximum consumer groups', int, 50)
    .addOption(new Option('--billing <mode>', 'billing mode').choices(['postpaid', 'prepaid']).default('postpaid'))
    .option('--period-months <n>', 'prepaid period in months', int)
    .option('--auto-renew', 'renew a prepaid instance automatically')
    .option('-c, --broker-config <key=value>', 'broker setting override (repeatable)', collect)
    .option('-l, --label <key=value>', 'label (repeatable)', collect)
    .option('-w, --wait', 'wait until the instance is Running')
    .addOption(timeoutOption('how long --wait waits'))
    .option('--idempotency-key <key>', 'Idempotency-Key header: a retried create with the same key is not done twice')
    .action(async (name: string, o: {
      zone: 'zone-a' | 'zone-b' | 'zone-c'; brokers: number; bandwidth: number; disk: number; partitionLimit: number; topicLimit: number; groupLimit: number;
      billing: 'postpaid' | 'prepaid'; periodMonths?: number; autoRenew?: boolean; brokerConfig?: string[]; label?: string[]; wait?: boolean; timeout: number; idempotencyKey?: string;
    }, c: Command) => {
      const ctx = contextOf(c, io);
      const api = ctx.api();
      const billing = o.billing === 'prepaid' ? { mode: 'prepaid' as const, periodMonths: o.periodMonths, ...(o.autoRenew ? { autoRenew: true } : {}) } : { mode: 'postpaid' as const };
      const { data } = await call(api.POST('/v1/instances', {
        body: {
          name, labels: keyValues(o.label, 'label'),
          spec: {
            zone: o.zone, brokers: o.brokers, bandwidthMBps: o.bandwidth, diskGiB: o.disk, partitionLimit: o.partitionLimit, topicLimit: o.topicLimit,
            consumerGroupLimit: o.groupLimit, billing: billing as never, brokerConfig: keyValues(o.brokerConfig, 'broker config'),
          },
        },
        headers: o.idempotencyKey ? { 'idempotency-key': o.idempotencyKey } : {},
      }));
      const result = o.wait ? await waitInstance(api, ctx.io, data.resource.id, { timeoutMs: o.timeout }) : data.resource;
      renderValue(ctx.io, ctx.format, o.wait ? result : data);
    });

  cmd.command('scale').description('Change brokers, bandwidth, disk or limits (brokers and disk only grow); guarded by If-Match')
    .argument('<instance>', 'id or name')
    .option('--brokers <n>', 'number of brokers', int)
    .option('--bandwidth <mbps>', 'bandwidth tier in MB/s', int)
    .option('--disk <gib>', 'disk in GiB', int)
    .option('--partition-limit <n>', 'maximum partitions', int)
    .option('--topic-limit <n>', 'maximum topics', int)
    .option('--group-limit <n>', 'maximum consumer groups', int)
    .option('-w, --wait', 'wait until the change is Running')
    .addOption(timeoutOption('how long --wait waits'))
    .action(async (ref: string, o: { brokers?: number; bandwidth?: number; disk?: number; partitionLimit?: number; topicLimit?: number; groupLimit?: number; wait?: boolean; timeout: number }, c: Command) => {
      const ctx = contextOf(c, io);
      const api = ctx.api();
      const current = await resolveInstance(api, ref);
      const spec = {
        ...current.spec,
        ...(o.brokers !== undefined ? { brokers: o.brokers } : {}),
        ...(o.bandwidth !== undefined ? { bandwidthMBps: o.bandwidth } : {}),
        ...(o.disk !== undefined ? { diskGiB: o.disk } : {}),
        ...(o.partitionLimit !== undefined ? { partitionLimit: o.partitionLimit } : {}),
        ...(o.topicLimit !== undefined ? { topicLimit: o.topicLimit } : {}),
        ...(o.groupLimit !== undefined ? { consumerGroupLimit: o.groupLimit } : {}),
      };
      if (JSON.stringify(spec) === JSON.stringify(current.spec)) throw new CliError('nothing to change: pass --brokers, --bandwidth, --disk or a limit', EXIT.usage);
      // If-Match: a change made by someone else since the read above is a 412, never overwritten.
      const { data } = await call(api.PUT('/v1/instances/{id}', {
        params: { path: { id: current.id } }, body: { labels: current.labels, spec }, headers: { 'if-match': current.etag },
      }));
      renderValue(ctx.io, ctx.format, o.wait ? await waitInstance(api, ctx.io, current.id, { timeoutMs: o.timeout }) : data);
    });

  cmd.command('delete').description('Delete an instance and all its data (needs --yes)')
    .argument('<instance>', 'id or name')
    .option('-y, --yes', 'confirm: the instance, its topics and their data are deleted')
    .option('-w, --wait', 'wait until the instance is gone')
    .addOption(timeoutOption('how long --wait waits'))
    .action(async (ref: string, o: { yes?: boolean; wait?: boolean; timeout: number }, c: Command) => {
      const ctx = contextOf(c, io);
      const api = ctx.api();
      const current = await resolveInstance(api, ref);
      if (!o.yes) throw new CliError(`deleting instance ${current.name} (${current.id}) deletes all its topics and data: pass --yes to confirm`, EXIT.refused);
      const { data } = await call(api.DELETE('/v1/instances/{id}', { params: { path: { id: current.id } }, headers: { 'if-match': current.etag } }));
      // The delete operation ends when the operator has removed the brokers and their data; the row goes after.
      if (o.wait) {
        await waitOperation(api, ctx.io, data.operation.id, { timeoutMs: o.timeout });
        await waitInstanceGone(api, ctx.io, current.id, { timeoutMs: o.timeout });
      }
      renderValue(ctx.io, ctx.format, o.wait ? { deleted: current.id } : data);
    });

  cmd.command('renew').description('Renew a prepaid instance for more months (from its expiry, or from now once expired); an isolated instance is served again')
    .argument('<instance>', 'id or name')
    .requiredOption('--months <n>', 'months to add (1–36)', int)
    .option('--idempotency-key <key>', 'Idempotency-Key header: a retried renewal with the same key is not charged twice')
    .action(async (ref: string, o: { months: number; idempotencyKey?: string }, c: Command) => {
      const ctx = contextOf(c, io);
      const api = ctx.api();
      const current = await resolveInstance(api, ref);
      const { data } = await call(api.POST('/v1/instances/{id}/renew', {
        params: { path: { id: current.id } }, body: { periodMonths: o.months }, headers: o.idempotencyKey ? { 'idempotency-key': o.idempotencyKey } : {},
      }));
      if (ctx.format !== 'table') return renderValue(ctx.io, ctx.format, data);
      renderValue(ctx.io, 'table', {
        instance: data.instance.name, expiresAt: data.instance.billingState.expiresAt, billingStatus: data.instance.billingState.status,
        charged: `${formatMinor(data.quote.totalMinor, data.quote.currency)} ${data.quote.currency}`,
      });
    });

  cmd.command('wait').description('Wait until an instance reaches a phase (Running by default) at its current generation')
    .argument('<instance>', 'id or name')
    .addOption(new Option('--phase <phase>', 'phase to wait for').choices(['Running', 'Suspended', 'Failed']).default('Running'))
    .option('--gone', 'wait until the instance is deleted instead')
    .addOption(timeoutOption('how long to wait'))
    .action(async (ref: string, o: { phase: string; gone?: boolean; timeout: number }, c: Command) => {
      const ctx = contextOf(c, io);
      const api = ctx.api();
      const current = await resolveInstance(api, ref);
      if (o.gone) { await waitInstanceGone(api, ctx.io, current.id, { timeoutMs: o.timeout }); return; }
      renderValue(ctx.io, ctx.format, await waitInstance(api, ctx.io, current.id, { timeoutMs: o.timeout, phase: o.phase }));
    });
}
