import { readFileSync, writeFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { allPages, call } from '../client.ts';
import { contextOf, int, resolveInstance } from '../context.ts';
import { CliError, EXIT } from '../exit-codes.ts';
import { renderList, renderValue, type Io } from '../output.ts';

/**
 * Billing: the price book, quotes, usage records, invoices (list, one, the month so far) and the
 * usage and chargeback reports as JSON or CSV. Renewing is `instances renew`.
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
  cmd.command('invoice').description('One invoice with its lines')
    .argument('<id>', 'invoice id')
    .action(async (id: string, _o: unknown, c: Command) => {
      const ctx = contextOf(c, io);
      renderValue(ctx.io, ctx.format, (await call(ctx.api().GET('/v1/billing/invoices/{id}', { params: { path: { id } } }))).data);
    });
  cmd.command('preview').description('The current month\'s invoice so far (never stored)')
    .action(async (_o: unknown, c: Command) => {
      const ctx = contextOf(c, io);
      renderValue(ctx.io, ctx.format, (await call(ctx.api().GET('/v1/billing/invoices/preview'))).data);
    });
  const report = cmd.command('report').description('Usage-and-cost and chargeback reports, as a table, JSON/YAML (-o) or CSV (--csv)');
  const common = (sub: Command) => sub
    .option('--from <time>', 'start (ISO 8601, e.g. 2026-11-01T00:00:00Z)')
    .option('--to <time>', 'end, exclusive (ISO 8601)')
    .addOption(new Option('--granularity <g>', 'rows per').choices(['hour', 'day', 'month']))
    .option('--instance <instance>', 'one instance (id or name)')
    .option('--csv', 'the API\'s CSV (for spreadsheets) instead of a table')
    .option('-O, --out-file <file>', 'write the CSV here instead of stdout');
  common(report.command('usage').description('Usage and cost per instance (or instance label), meter and period'))
    .addOption(new Option('--group-by <what>', 'group rows by').choices(['instance', 'label']))
    .option('--label <key>', 'the label key to group by (with --group-by label)')
    .option('--meter <meter>', 'one meter only')
    .action(async (o: ReportOptions & { groupBy?: 'instance' | 'label'; label?: string; meter?: string }, c: Command) => {
      await runReport(c, io, '/v1/billing/reports/usage', o, { ...(o.groupBy ? { groupBy: o.groupBy } : {}), ...(o.label ? { label: o.label } : {}), ...(o.meter ? { meter: o.meter } : {}) });
    });
  common(report.command('chargeback').description('Bytes in and out per topic or principal, instance and period'))
    .addOption(new Option('--by <what>', 'rows per').choices(['topic', 'principal']))
    .action(async (o: ReportOptions & { by?: 'topic' | 'principal' }, c: Command) => {
      await runReport(c, io, '/v1/billing/reports/chargeback', o, o.by ? { by: o.by } : {});
    });
}

interface ReportOptions { from?: string; to?: string; granularity?: 'hour' | 'day' | 'month'; instance?: string; csv?: boolean; outFile?: string }

/** A report: JSON rows as a table (or -o json/yaml), or the API's own CSV written unchanged. */
async function runReport(c: Command, io: Io, path: '/v1/billing/reports/usage' | '/v1/billing/reports/chargeback', o: ReportOptions, extra: Record<string, string>): Promise<void> {
  const ctx = contextOf(c, io);
  const api = ctx.api();
  if (o.outFile && !o.csv) throw new CliError('-O writes the CSV: add --csv', EXIT.usage);
  const query = {
    ...(o.from ? { from: o.from } : {}), ...(o.to ? { to: o.to } : {}), ...(o.granularity ? { granularity: o.granularity } : {}),
    ...(o.instance ? { instanceId: (await resolveInstance(api, o.instance)).id } : {}), ...extra,
  };
  if (o.csv) {
    const { data } = await call(api.GET(path, { params: { query: { ...query, format: 'csv' } as never }, parseAs: 'text' }));
    if (o.outFile) {
      writeFileSync(o.outFile, data);
      ctx.io.err(`wrote ${o.outFile}\n`);
    } else ctx.io.out(data);
    return;
  }
  const { data } = await call(api.GET(path, { params: { query: query as never } }));
  const report = data as unknown as { rows: Record<string, unknown>[]; total?: string; currency?: string };
  const rows = report.rows;
  if (ctx.format !== 'table') return renderValue(ctx.io, ctx.format, report);
  const keys = Object.keys(rows[0] ?? {});
  renderList(ctx.io, 'table', rows, keys.map((k) => ({ header: k.replace(/[A-Z]/g, (m) => `_${m}`).toUpperCase(), get: (r: Record<string, unknown>) => r[k] })));
  if (report.total !== undefined) ctx.io.err(`total: ${report.total} ${report.currency ?? ''}\n`);
}
