import type { Command } from 'commander';
import { allPages, call } from '../client.ts';
import { contextOf } from '../context.ts';
import { renderList, renderValue, type Io } from '../output.ts';

/**
 * Billing commands exist only for the endpoints on main: the price book, usage records and the
 * invoice list. Quotes, renewals and CSV exports have no endpoint yet (apps/cli/README.md).
 */
export function billingCommand(program: Command, io: Io): void {
  const cmd = program.command('billing').description('Price book, usage records and invoices (read-only)');
  cmd.command('price-book').description('The price book in effect')
    .action(async (_o: unknown, c: Command) => {
      const ctx = contextOf(c, io);
      renderValue(ctx.io, ctx.format, (await call(ctx.api().GET('/v1/billing/price-book'))).data);
    });
  cmd.command('usage').description('Usage records of the account\'s instances')
    .action(async (_o: unknown, c: Command) => {
      const ctx = contextOf(c, io);
      const api = ctx.api();
      const items = await allPages((cursor) => api.GET('/v1/billing/usage', { params: { query: { limit: 200, ...(cursor ? { cursor } : {}) } } }));
      renderList(ctx.io, ctx.format, items, [
        { header: 'INSTANCE', get: (u) => u.instanceId }, { header: 'METER', get: (u) => u.meter }, { header: 'QUANTITY', get: (u) => u.quantity },
        { header: 'FROM', get: (u) => u.periodStart }, { header: 'TO', get: (u) => u.periodEnd }, { header: 'SOURCE', get: (u) => u.source },
      ]);
    });
  cmd.command('invoices').description('Invoices of the account')
    .action(async (_o: unknown, c: Command) => {
      const ctx = contextOf(c, io);
      const api = ctx.api();
      const items = await allPages((cursor) => api.GET('/v1/billing/invoices', { params: { query: { limit: 200, ...(cursor ? { cursor } : {}) } } }));
      renderList(ctx.io, ctx.format, items, [
        { header: 'ID', get: (i) => i.id }, { header: 'FROM', get: (i) => i.periodStart }, { header: 'TO', get: (i) => i.periodEnd },
        { header: 'STATUS', get: (i) => i.status }, { header: 'TOTAL', get: (i) => `${(i.totalMicros / 1e6).toFixed(2)} ${i.currency}` },
      ]);
    });
}
