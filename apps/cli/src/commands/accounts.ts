import type { Command } from 'commander';
import { allPages, call } from '../client.ts';
import { contextOf } from '../context.ts';
import { renderList, renderValue, type Io } from '../output.ts';

/**
 * Accounts, for the platform team that sells Kafka: every account is visible to a platform admin
 * key (others see their own), and `--account <id>` makes any other command act on one of them.
 * Isolating and resuming an account for billing are `POST /v1/accounts/{id}/isolate|resume`.
 */
export function accountsCommand(program: Command, io: Io): void {
  const cmd = program.command('accounts').description('Accounts (every account for platform admin keys; use --account <id> to act on one)');
  cmd.command('list').description('Accounts visible to the key')
    .action(async (_o: unknown, c: Command) => {
      const ctx = contextOf(c, io);
      const api = ctx.api();
      const items = await allPages((cursor) => api.GET('/v1/accounts', { params: { query: { limit: 200, ...(cursor ? { cursor } : {}) } } }));
      renderList(ctx.io, ctx.format, items, [
        { header: 'ID', get: (a) => a.id }, { header: 'NAME', get: (a) => a.name }, { header: 'EMAIL', get: (a) => a.email ?? '' }, { header: 'CREATED', get: (a) => a.createdAt },
      ]);
    });
  cmd.command('get').description('One account').argument('<id>', 'account id')
    .action(async (id: string, _o: unknown, c: Command) => {
      const ctx = contextOf(c, io);
      renderValue(ctx.io, ctx.format, (await call(ctx.api().GET('/v1/accounts/{id}', { params: { path: { id } } }))).data);
    });
  cmd.command('create').description('Create an account (platform admin keys only)').argument('<name>', 'account name')
    .option('--email <address>', 'billing contact')
    .action(async (name: string, o: { email?: string }, c: Command) => {
      const ctx = contextOf(c, io);
      renderValue(ctx.io, ctx.format, (await call(ctx.api().POST('/v1/accounts', { body: { name, ...(o.email ? { email: o.email } : {}) } }))).data);
    });
  for (const [verb, what] of [['isolate', 'Isolate every instance of an account (its clients are refused with the reason) — platform admins'], ['resume', 'Resume an isolated account\'s instances (expired prepaid ones stay isolated) — platform admins']] as const) {
    cmd.command(verb).description(what).argument('<id>', 'account id')
      .option('--reason <text>', 'kept in the audit trail')
      .action(async (id: string, o: { reason?: string }, c: Command) => {
        const ctx = contextOf(c, io);
        const body = o.reason ? { reason: o.reason } : {};
        const { data } = await call(verb === 'isolate'
          ? ctx.api().POST('/v1/accounts/{id}/isolate', { params: { path: { id } }, body })
          : ctx.api().POST('/v1/accounts/{id}/resume', { params: { path: { id } }, body }));
        renderList(ctx.io, ctx.format, data.items, [{ header: 'INSTANCE', get: (i) => i.id }, { header: 'NAME', get: (i) => i.name }, { header: 'BILLING', get: (i) => i.billingState.status }]);
      });
  }
}
