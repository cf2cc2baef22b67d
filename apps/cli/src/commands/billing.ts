import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { allPages, call } from '../client.ts';
import { contextOf, int, resolveInstance } from '../context.ts';
import { CliError, EXIT } from '../exit-codes.ts';
import { renderList, renderValue, type Io } from '../output.ts';

/**
 * Billing commands exist only for the endpoints on main: the price book, quotes, usage records and
 * the invoice list. Renewing and CSV exports have no endpoint yet (apps/cli/README.md).
 */
export function billingCommand(program: Command, io: Io): void {
  const cmd = program.command('billing').description('Price book, quotes, usage records and invoices');
  cmd.command('price-book').description('The price book in effect')
    .action(async (_o: unknown, c: Command) => {
      const ctx = contextOf(c, io);
      renderValue(ctx.io, ctx.format, (await call(ctx.api().GET('/v1/billing/price-book'))).data);
    });
  cmd.command('quote').description('Price a new instance, a change of one, or a prepaid renewal (POST /v1/billing/quotes)')
    .option('-f, --file <path>', 'a quote request as YAML or JSON: {kind: create, spec} | {kind: change, instanceId, spec} | {kind: renewal, instanceId, periodMonths}')
    .option('--renew <instance>', 'price renewing this prepaid instance (id or name)')
    .option('--months <n>', 'renewal period in months', int, 1)
    .action(async (o: { file?: string; renew?: string; months: number }, c: Command) => {
      const ctx = contextOf(c, io);
      const api = ctx.api();
      if ((o.file === undefined) === (o.renew === undefined)) throw new CliError('pass either -f FILE or --renew INSTANCE', EXIT.usage);
      const body = o.renew !== undefined
        ? { kind: 'renewal' as const, instanceId: (await resolveInstance(api, o.renew)).id, periodMonths: o.months }
        : parseYaml(readFileSync(o.file!, 'utf8')) as never;
      renderValue(ctx.io, ctx.format, (await call(api.POST('/v1/billing/quotes', { body }))).data);
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
