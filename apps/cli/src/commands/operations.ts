import type { Command } from 'commander';
import { allPages, call, type Schemas } from '../client.ts';
import { contextOf, timeoutOption } from '../context.ts';
import { renderList, renderValue, type Io } from '../output.ts';
import { waitOperation } from '../wait.ts';
import { progressText } from '../progress.ts';

type Operation = Schemas['Operation'];

export function operationsCommand(program: Command, io: Io): void {
  const cmd = program.command('operations').alias('operation').description('Long-running changes and their outcome: list, get, wait, cancel');
  cmd.command('list').description('List operations, newest last').option('--target <id>', 'only the operations of this resource id')
    .action(async (o: { target?: string }, c: Command) => {
      const ctx = contextOf(c, io);
      const api = ctx.api();
      const items = await allPages((cursor) => api.GET('/v1/operations', { params: { query: { limit: 200, ...(o.target ? { targetId: o.target } : {}), ...(cursor ? { cursor } : {}) } } }));
      renderList(ctx.io, ctx.format, items as Operation[], [
        { header: 'ID', get: (x) => x.id }, { header: 'KIND', get: (x) => x.kind }, { header: 'TARGET', get: (x) => `${x.targetType}/${x.targetId}` },
        { header: 'STATE', get: (x) => x.state }, { header: 'PROGRESS', get: (x) => progressText(x.progress) }, { header: 'ERROR', get: (x) => x.error },
      ]);
    });
  cmd.command('get').description('Show an operation').argument('<id>', 'operation id')
    .action(async (id: string, _o: unknown, c: Command) => {
      const ctx = contextOf(c, io);
      renderValue(ctx.io, ctx.format, (await call(ctx.api().GET('/v1/operations/{id}', { params: { path: { id } } }))).data);
    });
  cmd.command('wait').description('Wait until an operation has Succeeded (exit 7 if it Failed, 6 on timeout)').argument('<id>', 'operation id')
    .addOption(timeoutOption('how long to wait'))
    .action(async (id: string, o: { timeout: number }, c: Command) => {
      const ctx = contextOf(c, io);
      renderValue(ctx.io, ctx.format, await waitOperation(ctx.api(), ctx.io, id, { timeoutMs: o.timeout }));
    });
  cmd.command('cancel').description('Cancel the data an operation moves between brokers (a rebalance, drain or replication-factor change): the moving partitions go back to their original replicas (exit 4 if it already ended or moves nothing)')
    .argument('<id>', 'id of the operation whose moves to cancel').option('-w, --wait', 'wait until the brokers have cancelled the moves').addOption(timeoutOption('how long to wait with --wait'))
    .action(async (id: string, o: { wait?: boolean; timeout: number }, c: Command) => {
      const ctx = contextOf(c, io);
      const cancel = (await call(ctx.api().POST('/v1/operations/{id}/cancel', { params: { path: { id } } }))).data;
      renderValue(ctx.io, ctx.format, o.wait ? await waitOperation(ctx.api(), ctx.io, cancel.id, { timeoutMs: o.timeout }) : cancel);
    });
}
