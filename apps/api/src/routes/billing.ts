import { z } from 'zod';
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import {
  AccountCreateSchema, AccountListSchema, AccountSchema, ApiKeyCreateSchema, ApiKeyCreatedSchema, ApiKeyListSchema, ApiKeySchema,
  ChargebackReportQuerySchema, ChargebackReportSchema, UsageReportQuerySchema, UsageReportSchema, InvoiceListQuerySchema, InvoiceListSchema, InvoicePreviewSchema, InvoiceRecomputeSchema, InvoiceSchema, ListQuerySchema, PriceBookSchema, QuoteRequestSchema, QuoteSchema, RenewRequestSchema, BillingStatusChangeSchema, InstanceSchema, UsageListSchema, UsageQuerySchema, type Role,
} from '@tributary/contracts';
import { principalOf, generateApiKey, isPlatformAdmin } from '../plugins/auth.ts';
import { ApiError, notFound } from '../errors.ts';
import { etagOf } from '../http.ts';
import { presentInstance } from '../present.ts';
import { formatMinor, microsPerMinor } from '@tributary/pricing';
import { toCsv } from '../csv.ts';
import type { AccountRow, ApiKeyRow, InvoiceRow, Store } from '../store/types.ts';
import { AUTH_ERRORS, ONE_ERRORS, QUOTE_ERRORS, READ_ERRORS, WRITE_ERRORS } from './responses.ts';

const iso = (d: Date) => d.toISOString();
const presentAccount = (a: AccountRow) => ({ id: a.id, name: a.name, email: a.email, createdAt: iso(a.createdAt), updatedAt: iso(a.updatedAt), etag: etagOf(a.id, 1) });
const presentKey = (k: ApiKeyRow) => ({
  id: k.id, accountId: k.accountId, name: k.name, role: k.role, prefix: k.prefix, lastUsedAt: k.lastUsedAt ? iso(k.lastUsedAt) : null,
  createdAt: iso(k.createdAt), updatedAt: iso(k.createdAt), etag: etagOf(k.id, 1),
});
const billingRoles: Role[] = ['admin', 'billing'];
const presentInvoice = (i: InvoiceRow) => ({
  id: i.id, accountId: i.accountId, kind: i.kind, instanceId: i.instanceId, periodStart: iso(i.periodStart), periodEnd: iso(i.periodEnd), status: i.status,
  currency: i.currency, totalMinor: i.totalMinor, total: formatMinor(i.totalMinor, i.currency), totalMicros: i.totalMinor * Number(microsPerMinor(i.currency)),
  usageCutoff: i.usageCutoff ? iso(i.usageCutoff) : null, finalisedAt: i.finalisedAt ? iso(i.finalisedAt) : null, createdAt: iso(i.createdAt),
});

export const billingRoutes: FastifyPluginAsyncZod<{ store: Store }> = async (app, { store }) => {
  app.get('/v1/billing/price-book', {
    config: { roles: ['admin', 'operator', 'viewer', 'billing'] },
    schema: { summary: 'The current price book', tags: ['billing'], response: { 200: PriceBookSchema, ...AUTH_ERRORS } },
  }, async () => {
    const book = await store.getPriceBook();
    if (!book) throw notFound('price book in effect');
    return book;
  });

  app.post('/v1/billing/quotes', {
    config: { roles: ['admin', 'operator', 'viewer', 'billing'] },
    schema: {
      summary: 'Price inquiry: a new instance (postpaid per hour or a prepaid period), a change to an instance (prorated for prepaid) or a renewal',
      description: 'Priced from the price book in effect now, in integer minor units of its currency. Nothing is created or charged.',
      tags: ['billing'], body: QuoteRequestSchema, response: { 200: QuoteSchema, ...QUOTE_ERRORS },
    },
  }, async (request) => store.quote(principalOf(request).accountId, request.body, new Date()));

  const idParams = z.strictObject({ id: z.string().min(1).max(64) });
  app.post('/v1/instances/:id/renew', {
    config: { roles: billingRoles },
    schema: {
      summary: 'Renew a prepaid instance for periodMonths more (from its expiry, or from now once expired); an isolated instance is served again',
      tags: ['billing'], params: idParams, body: RenewRequestSchema,
      response: { 200: z.object({ instance: InstanceSchema, quote: QuoteSchema }).meta({ id: 'Renewal' }), ...QUOTE_ERRORS },
    },
  }, async (request) => {
    const r = await store.renewInstance(principalOf(request), request.params.id, request.body.periodMonths, new Date());
    return { instance: presentInstance(r.instance), quote: r.quote };
  });
  app.delete('/v1/instances/:id/pending-change', {
    schema: {
      summary: 'Cancel a prepaid instance\'s downgrade waiting for the renewal (billingState.pendingChange); the spec stays as paid',
      description: 'A lower sold level (bandwidthMBps, or fewer brokers) asked for inside a paid prepaid period waits for the next renewal. This drops it. 404 when there is none; 409 pending-change-renewed once a renewal priced at the lower size is paid.',
      tags: ['billing'], params: idParams, response: { 200: InstanceSchema, ...WRITE_ERRORS },
    },
  }, async (request) => presentInstance(await store.cancelPendingChange(principalOf(request), request.params.id)));
  for (const [path, status, summary] of [
    ['isolate', 'suspended', 'Isolate an instance (platform admins; e.g. an overdue account): clients are refused, data is kept'],
    ['resume', 'active', 'Resume an isolated instance (platform admins)'],
  ] as const) {
    app.post(`/v1/instances/:id/${path}`, {
      config: { platformOnly: true },
      schema: { summary, tags: ['billing'], params: idParams, body: BillingStatusChangeSchema, response: { 200: InstanceSchema, ...QUOTE_ERRORS } },
    }, async (request) => presentInstance(await store.setBillingStatus(principalOf(request), request.params.id, status, request.body.reason ?? null)));
  }
  for (const [path, status, summary] of [
    ['isolate', 'suspended', 'Isolate every instance of an account (platform admins; an overdue postpaid account): clients are refused, data is kept'],
    ['resume', 'active', 'Resume every isolated instance of an account (platform admins); prepaid instances past their expiry stay isolated until renewed'],
  ] as const) {
    app.post(`/v1/accounts/:id/${path}`, {
      config: { platformOnly: true },
      schema: {
        summary, tags: ['billing'], params: idParams, body: BillingStatusChangeSchema,
        response: { 200: z.object({ items: z.array(InstanceSchema).meta({ description: 'the instances whose billing status changed' }) }).meta({ id: 'AccountBillingStatusChange' }), ...QUOTE_ERRORS },
      },
    }, async (request) => ({ items: (await store.setAccountBillingStatus(principalOf(request), request.params.id, status, request.body.reason ?? null, new Date())).map(presentInstance) }));
  }

  app.get('/v1/billing/usage', {
    config: { roles: billingRoles },
    schema: { summary: 'Usage records of the account\'s instances', tags: ['billing'], querystring: UsageQuerySchema, response: { 200: UsageListSchema, ...READ_ERRORS } },
  }, async (request) => {
    const page = await store.listUsage(principalOf(request).accountId, request.query);
    return {
      items: page.items.map((u) => ({
        id: u.id, instanceId: u.instanceId, meter: u.meter, quantity: u.quantity, periodStart: iso(u.periodStart),
        periodEnd: iso(u.periodEnd ?? new Date()), source: u.source as 'spec-change' | 'metering', createdAt: iso(u.createdAt),
      })),
      ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
    };
  });

  app.get('/v1/billing/invoices', {
    config: { roles: billingRoles },
    schema: {
      summary: 'Invoices of the account (without lines), oldest first',
      description: 'Monthly invoices (postpaid sold size and metered usage, in arrears) and prepaid purchase invoices. Filters: status, kind, instanceId, and the period overlapping [from, to).',
      tags: ['billing'], querystring: InvoiceListQuerySchema, response: { 200: InvoiceListSchema, ...READ_ERRORS },
    },
  }, async (request) => {
    const page = await store.listInvoices(principalOf(request).accountId, request.query);
    return { items: page.items.map(presentInvoice), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
  });
  app.get('/v1/billing/invoices/preview', {
    config: { roles: billingRoles },
    schema: {
      summary: 'The current month\'s invoice so far (never stored)',
      description: 'Built as the monthly invoice will be: postpaid sold size up to now, the usage hours so far (open ones too), and late usage learned since the last invoice.',
      tags: ['billing'], response: { 200: InvoicePreviewSchema, ...AUTH_ERRORS },
    },
  }, async (request) => {
    const accountId = principalOf(request).accountId;
    const p = await store.previewInvoice(accountId, new Date());
    return {
      accountId, kind: 'monthly' as const, status: 'draft' as const, periodStart: iso(p.periodStart), periodEnd: iso(p.periodEnd), asOf: iso(p.asOf),
      currency: p.currency, totalMinor: p.totalMinor, total: formatMinor(p.totalMinor, p.currency), lines: p.lines,
    };
  });
  const invoiceParams = z.strictObject({ id: z.string().min(1).max(64) });
  app.get('/v1/billing/invoices/:id', {
    config: { roles: billingRoles },
    schema: { summary: 'One invoice with its lines', tags: ['billing'], params: invoiceParams, response: { 200: InvoiceSchema, ...READ_ERRORS } },
  }, async (request) => {
    const inv = await store.getInvoice(principalOf(request).accountId, request.params.id);
    return { ...presentInvoice(inv), lines: inv.lines };
  });
  app.get('/v1/billing/invoices/:id/recompute', {
    config: { roles: billingRoles },
    schema: {
      summary: 'The recompute check: the invoice priced again from its raw usage, compared line by line with what is stored',
      description: 'Monthly invoices are rebuilt from the usage rows of their usage window (usageCutoff); prepaid ones from the quote they charged. Nothing is written.',
      tags: ['billing'], params: invoiceParams, response: { 200: InvoiceRecomputeSchema, ...QUOTE_ERRORS },
    },
  }, async (request) => {
    const r = await store.recomputeInvoice(principalOf(request).accountId, request.params.id);
    return { invoiceId: r.invoice.id, status: r.invoice.status, matches: r.matches, storedTotalMinor: r.storedTotalMinor, recomputedTotalMinor: r.recomputedTotalMinor, differences: r.differences };
  });

  // ---- reports (JSON, or CSV with ?format=csv or Accept: text/csv) ----
  const wantsCsv = (format: string | undefined, accept: string | undefined) => format === 'csv' || (format === undefined && /\btext\/csv\b/.test(accept ?? ''));
  const csvReply = (reply: FastifyReply, name: string, body: string) => reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${name}.csv"`).send(body);
  const csvOr = <T extends z.ZodType>(schema: T, what: string) => ({
    description: `${what} (JSON), or the same rows as text/csv`, content: { 'application/json': { schema }, 'text/csv': { schema: z.string() } },
  });
  app.get('/v1/billing/reports/usage', {
    config: { roles: billingRoles },
    schema: {
      summary: 'Usage and cost report: per instance (or instance label), meter and hour, day or month',
      description: 'Postpaid sold size by the second and metered usage hours (open ones too; late adjustments in their hour), priced by the same engine as invoices, each row rounded once. CSV columns: period_start, period_end, group, meter, code, unit, quantity, amount_minor, currency; text cells that a spreadsheet would take for a formula are prefixed with an apostrophe.',
      tags: ['billing'], querystring: UsageReportQuerySchema, response: { 200: csvOr(UsageReportSchema, 'the report'), ...READ_ERRORS },
    },
  }, async (request, reply) => {
    const q = request.query;
    const r = await store.usageReport(principalOf(request).accountId, q, new Date());
    if (wantsCsv(q.format, request.headers.accept)) {
      return csvReply(reply, 'usage', toCsv<(typeof r.rows)[number]>([
        { header: 'period_start', get: (x) => x.periodStart }, { header: 'period_end', get: (x) => x.periodEnd }, { header: 'group', get: (x) => x.group },
        { header: 'meter', get: (x) => x.meter }, { header: 'code', get: (x) => x.code }, { header: 'unit', get: (x) => x.unit },
        { header: 'quantity', get: (x) => x.quantity, numeric: true }, { header: 'amount_minor', get: (x) => x.amountMinor, numeric: true }, { header: 'currency', get: () => r.currency },
      ], r.rows));
    }
    return reply.send({ currency: r.currency, from: iso(r.from), to: iso(r.to), granularity: q.granularity, groupBy: q.groupBy, rows: r.rows, totalMinor: r.totalMinor, total: formatMinor(r.totalMinor, r.currency) });
  });
  app.get('/v1/billing/reports/chargeback', {
    config: { roles: billingRoles },
    schema: {
      summary: 'Chargeback report: bytes in and out per topic or per principal, instance and hour, day or month',
      description: 'From the brokers\' metered bytes (per topic, principal and listener, rolled up hourly by the operator). CSV columns: period_start, period_end, instance_id, key, bytes_in, bytes_out; text cells that a spreadsheet would take for a formula are prefixed with an apostrophe.',
      tags: ['billing'], querystring: ChargebackReportQuerySchema, response: { 200: csvOr(ChargebackReportSchema, 'the report'), ...READ_ERRORS },
    },
  }, async (request, reply) => {
    const q = request.query;
    const r = await store.chargebackReport(principalOf(request).accountId, q, new Date());
    if (wantsCsv(q.format, request.headers.accept)) {
      return csvReply(reply, `chargeback-by-${q.by}`, toCsv<(typeof r.rows)[number]>([
        { header: 'period_start', get: (x) => x.periodStart }, { header: 'period_end', get: (x) => x.periodEnd }, { header: 'instance_id', get: (x) => x.instanceId },
        { header: 'key', get: (x) => x.key }, { header: 'bytes_in', get: (x) => x.bytesIn, numeric: true }, { header: 'bytes_out', get: (x) => x.bytesOut, numeric: true },
      ], r.rows));
    }
    return reply.send({ from: iso(r.from), to: iso(r.to), granularity: q.granularity, by: q.by, rows: r.rows.map((x) => ({ ...x, bytesIn: x.bytesIn.toString(), bytesOut: x.bytesOut.toString() })) });
  });
};

export const accountRoutes: FastifyPluginAsyncZod<{ store: Store }> = async (app, { store }) => {
  app.get('/v1/accounts', {
    schema: { summary: 'Accounts visible to the key (its own; every account for platform admins)', tags: ['accounts'], querystring: ListQuerySchema, response: { 200: AccountListSchema, ...READ_ERRORS } },
  }, async (request) => {
    const p = principalOf(request);
    const page = await store.listAccounts(isPlatformAdmin(p) ? null : p.accountId, request.query);
    return { items: page.items.map(presentAccount), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
  });
  app.get('/v1/accounts/:id', {
    schema: { summary: 'Get an account (the key\'s own; any for platform admins)', tags: ['accounts'], params: z.strictObject({ id: z.string().min(1).max(64) }), response: { 200: AccountSchema, ...ONE_ERRORS } },
  }, async (request, reply) => {
    const p = principalOf(request);
    if (!isPlatformAdmin(p) && request.params.id !== p.accountId) throw notFound('account');
    const [account] = (await store.listAccounts(request.params.id, { limit: 1 })).items;
    if (!account) throw notFound('account');
    const resource = presentAccount(account);
    reply.header('etag', resource.etag);
    return resource;
  });
  app.post('/v1/accounts', {
    config: { roles: ['admin'] },
    schema: { summary: 'Create an account (platform admins only)', tags: ['accounts'], body: AccountCreateSchema, response: { 201: AccountSchema, ...WRITE_ERRORS } },
  }, async (request, reply) => {
    if (!isPlatformAdmin(principalOf(request))) throw new ApiError('forbidden', 'only platform admins create accounts');
    const a = await store.insertAccount(request.body.name, request.body.email ?? null, principalOf(request));
    reply.code(201).header('location', `/v1/accounts/${a.id}`);
    return presentAccount(a);
  });

  app.get('/v1/api-keys', {
    config: { roles: ['admin'] },
    schema: { summary: 'API keys of the account (prefix only, never the secret)', tags: ['api-keys'], querystring: ListQuerySchema, response: { 200: ApiKeyListSchema, ...READ_ERRORS } },
  }, async (request) => {
    const page = await store.listApiKeys(principalOf(request).accountId, request.query);
    return { items: page.items.map(presentKey), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
  });
  app.post('/v1/api-keys', {
    config: { roles: ['admin'], secretResponse: true },
    schema: { summary: 'Create an API key; the secret is shown in this response only', tags: ['api-keys'], body: ApiKeyCreateSchema, response: { 201: ApiKeyCreatedSchema, ...WRITE_ERRORS } },
  }, async (request, reply) => {
    const p = principalOf(request);
    const accountId = request.body.accountId ?? p.accountId;
    if (accountId !== p.accountId) {
      if (!isPlatformAdmin(p)) throw notFound('account');
      if ((await store.listAccounts(accountId, { limit: 1 })).items.length === 0) throw notFound('account');
    }
    const k = generateApiKey();
    const row = await store.insertApiKey(accountId, request.body.name, request.body.role, k.prefix, k.hash, p);
    reply.code(201);
    return { ...presentKey(row), secret: k.key };
  });
  app.delete('/v1/api-keys/:id', {
    config: { roles: ['admin'] },
    schema: { summary: 'Revoke an API key', tags: ['api-keys'], params: z.strictObject({ id: z.string().min(1).max(64) }), response: { 200: ApiKeySchema, ...WRITE_ERRORS } },
  }, async (request) => {
    const row = await store.revokeApiKey(principalOf(request).accountId, request.params.id, principalOf(request));
    if (!row) throw notFound('API key');
    return presentKey(row);
  });
};
