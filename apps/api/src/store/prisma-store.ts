import type { Db, InstanceCache } from '@tributary/db';
import type { InstanceSpec, Operation, Quote, QuoteRequest, Role, TopicCreate } from '@tributary/contracts';
import type pg from 'pg';
import { Connection } from './connection.ts';
import { newId } from './repositories/ids.ts';
import { AccountRepository } from './repositories/accounts.ts';
import { ApiKeyRepository } from './repositories/api-keys.ts';
import { LagRepository } from './repositories/lag.ts';
import { TopicSampleRepository } from './repositories/topic-samples.ts';
import { BillingRepository } from './repositories/billing.ts';
import { IdempotencyRepository } from './repositories/idempotency.ts';
import { ObjectRepository } from './repositories/instance-objects.ts';
import { InstanceRepository } from './repositories/instances.ts';
import { AuditRepository, OperationRepository, type AuditEventRow } from './repositories/operations.ts';
import { TopicRepository } from './repositories/topics.ts';
import { UsageRepository } from './repositories/usage.ts';
import { OutboxRepository } from './repositories/outbox.ts';
import { OutboxDrainer, type DrainerLog } from '../jobs/outbox-drainer.ts';
import type { ReconcileQueue } from '../jobs/queue.ts';
import { AccountService } from './services/accounts.ts';
import { BillingService } from './services/billing.ts';
import { InvoiceService } from './services/invoices.ts';
import { InvoiceRepository, ReportRepository } from './repositories/invoices.ts';
import { ReportService, type ChargebackQuery, type UsageReportQuery } from './services/reports.ts';
import { BillingLifecycleService } from './services/billing-lifecycle.ts';
import { InstanceObjectService } from './services/instance-objects.ts';
import { InstanceService } from './services/instances.ts';
import { TopicService } from './services/topics.ts';
import { Trail } from './services/trail.ts';
import { AuditService, type AuditListFilter } from './services/audit.ts';
import { LiveWriteService } from './services/live-writes.ts';
import { RebalanceCancelService } from './services/rebalance-cancel.ts';
import { listQuery, page } from './services/list.ts';
import { decodeCursor } from '../http.ts';
import type {
  AccountRow, ApiKeyRow, IdempotencyBegin, InstanceCacheStatus, InstanceRow, InvoiceListFilter, InvoicePreviewRow, InvoiceRow, LagSample, ListFilter, TopicSample, ObjectKind, ObjectRow, Page,
  PriceBookView, Principal, Store, TopicRow, UsageRow,
} from './types.ts';

export { newId };

/**
 * The API's persistence on the Prisma schema (prisma/schema.prisma) through libs/db: the `Store` the
 * routes use, assembled from one repository per aggregate (repositories/: data access only, failures
 * as data) and the services that own the rules and the HTTP problems (services/). This class only
 * wires them and forwards; see apps/api/README.md "Store".
 */
export class PrismaStore implements Store {
  readonly #c: Connection;
  readonly instances: InstanceService;
  readonly topics: TopicService;
  readonly objects: InstanceObjectService;
  readonly accounts: AccountService;
  readonly billing: BillingService;
  readonly lifecycle: BillingLifecycleService;
  readonly invoices: InvoiceService;
  readonly reports: ReportService;
  readonly idempotency: IdempotencyRepository;
  readonly operationRepo: OperationRepository;
  readonly outbox: OutboxRepository;
  readonly liveWrites: LiveWriteService;
  readonly rebalanceCancels: RebalanceCancelService;
  readonly trail: Trail;
  readonly auditService: AuditService;
  readonly apiKeyRepo: ApiKeyRepository;
  readonly lagRepo: LagRepository;
  readonly topicSamples: TopicSampleRepository;

  constructor(connection: Connection) {
    const c = connection;
    this.#c = c;
    const instances = new InstanceRepository(c);
    const topics = new TopicRepository(c);
    const objects: Record<ObjectKind, ObjectRepository> = {
      users: new ObjectRepository(c, 'users'), acls: new ObjectRepository(c, 'acls'),
      'client-quotas': new ObjectRepository(c, 'client-quotas'), 'consumer-group-quotas': new ObjectRepository(c, 'consumer-group-quotas'),
    };
    const usage = new UsageRepository(c);
    const outbox = this.outbox = new OutboxRepository(c);
    this.operationRepo = new OperationRepository(c);
    const auditRepo = new AuditRepository(c);
    this.auditService = new AuditService(auditRepo);
    const trail = new Trail(this.operationRepo, auditRepo);
    this.trail = trail;
    this.billing = new BillingService({ usage, billing: new BillingRepository(c), instances });
    const invoiceRepo = new InvoiceRepository(c);
    this.invoices = new InvoiceService(c, invoiceRepo, () => this.billing.priceBooks());
    this.reports = new ReportService(c, { invoices: invoiceRepo, reports: new ReportRepository(c) }, () => this.billing.priceBooks());
    this.instances = new InstanceService(c, { instances, topics, usage, outbox, invoices: this.invoices }, trail);
    this.topics = new TopicService(c, { instances, topics, outbox }, trail);
    this.objects = new InstanceObjectService(c, { instances, objects, outbox }, trail);
    this.apiKeyRepo = new ApiKeyRepository(c);
    this.lagRepo = new LagRepository(c);
    this.topicSamples = new TopicSampleRepository(c);
    this.accounts = new AccountService(c, { accounts: new AccountRepository(c), apiKeys: this.apiKeyRepo, outbox }, trail);
    this.lifecycle = new BillingLifecycleService(c, { instances, usage, outbox, billing: this.billing, invoices: this.invoices, deleteInstance: (p, id, opts) => this.instances.delete(p, id, opts) }, trail);
    this.idempotency = new IdempotencyRepository(c);
    this.liveWrites = new LiveWriteService(c, this.operationRepo, trail);
    this.rebalanceCancels = new RebalanceCancelService(c, { operations: this.operationRepo, outbox }, trail);
  }

  /**
   * Applies pending migrations (prisma/migrations), then connects. The instance cache is on unless
   * `instanceCache: false`; its first LISTEN attempt is awaited (reads bypass it until one succeeds).
   */
  static async connect(databaseUrl: string, opts: { instanceCache?: boolean } = {}): Promise<PrismaStore> {
    return new PrismaStore(await Connection.open(databaseUrl, opts));
  }
  /** The Prisma client (tests seed rows through it). */
  get db(): Db { return this.#c.db; }
  get pool(): pg.Pool { return this.#c.pool; }
  get instanceCache(): InstanceCache | null { return this.#c.instanceCache; }
  /**
   * Starts moving the outbox's jobs to `queue` (jobs/outbox-drainer.ts): woken by every commit that
   * wrote outbox rows, and polling. Stop it before closing the queue and the store.
   */
  startOutboxDrainer(queue: ReconcileQueue, opts: ConstructorParameters<typeof OutboxDrainer>[2] & { log?: DrainerLog } = {}): OutboxDrainer {
    return new OutboxDrainer(this.outbox, queue, { ...opts, wake: (kick) => this.#c.onOutboxCommit(kick) }).start();
  }
  /** Waits (bounded) for transactions in flight, then disconnects (Connection.close). */
  close(drainMs?: number) { return this.#c.close(drainMs); }
  ping() { return this.#c.ping(); }
  instanceCacheStatus(): InstanceCacheStatus | null {
    const c = this.#c.instanceCache;
    return c && { usable: c.usable, size: c.size, ...c.stats };
  }

  // Start-up (bootstrap.ts): no actor, no audit.
  createAccount(name: string, email: string | null = null, id?: string): Promise<string> {
    return this.accounts.ensureAccount(name, email, id ?? newId('acc'));
  }
  createApiKey(accountId: string, name: string, role: Role, prefix: string, hash: string): Promise<string> {
    return this.accounts.ensureApiKey(accountId, name, role, prefix, hash);
  }
  countApiKeys(): Promise<number> { return this.accounts.countApiKeys(); }

  findApiKeyByHash(hash: string): Promise<Principal | null> { return this.accounts.principalByKeyHash(hash); }
  touchApiKey(keyId: string, at: Date, withinMs: number): Promise<void> { return this.accounts.touchApiKey(keyId, at, withinMs); }

  listInstances(accountId: string, f: ListFilter): Promise<Page<InstanceRow>> { return this.instances.list(accountId, f); }
  getInstance(accountId: string, id: string): Promise<InstanceRow | null> { return this.instances.get(accountId, id); }
  createInstance(p: Principal, input: { name: string; labels: Record<string, string>; spec: InstanceSpec }) { return this.instances.create(p, input); }
  updateInstance(p: Principal, id: string, input: { labels: Record<string, string>; spec: InstanceSpec }, expectedVersion?: number) { return this.instances.update(p, id, input, expectedVersion); }
  deleteInstance(p: Principal, id: string, opts: { force: boolean; expectedVersion?: number }) { return this.instances.delete(p, id, opts); }

  listTopics(instanceId: string, f: ListFilter): Promise<Page<TopicRow>> { return this.topics.list(instanceId, f); }
  getTopic(instanceId: string, name: string): Promise<TopicRow | null> { return this.topics.get(instanceId, name); }
  topicUsage(instanceId: string) { return this.topics.usage(instanceId); }
  createTopic(p: Principal, instance: InstanceRow, input: TopicCreate) { return this.topics.create(p, instance, input); }
  updateTopic(p: Principal, topic: TopicRow, change: { configs?: Record<string, string>; labels?: Record<string, string>; partitions?: number }, expectedVersion?: number) {
    return this.topics.update(p, topic, change, expectedVersion);
  }
  deleteTopic(p: Principal, topic: TopicRow, expectedVersion?: number) { return this.topics.delete(p, topic, expectedVersion); }

  getOperation(accountId: string, id: string): Promise<Operation | null> { return this.operationRepo.get(accountId, id); }
  async listOperations(accountId: string, f: { limit: number; cursor?: string | undefined; targetId?: string | undefined }): Promise<Page<Operation>> {
    const p = page(await this.operationRepo.list(accountId, listQuery({ limit: f.limit, cursor: f.cursor }), f.targetId), f.limit);
    return { items: p.items.map((r) => r.operation), ...(p.nextCursor ? { nextCursor: p.nextCursor } : {}) };
  }

  listObjects(instanceId: string, kind: ObjectKind, f: ListFilter): Promise<Page<ObjectRow>> { return this.objects.list(instanceId, kind, f); }
  getObject(instanceId: string, kind: ObjectKind, name: string): Promise<ObjectRow | null> { return this.objects.get(instanceId, kind, name); }
  countObjects(instanceId: string, kind: ObjectKind): Promise<number> { return this.objects.count(instanceId, kind); }
  createObject(p: Principal, instance: InstanceRow, kind: ObjectKind, name: string, data: Record<string, unknown>, labels?: Record<string, string>) { return this.objects.create(p, instance, kind, name, data, labels); }
  updateObject(p: Principal, object: ObjectRow, data: Record<string, unknown>, expectedVersion?: number, labels?: Record<string, string>) { return this.objects.update(p, object, data, expectedVersion, labels); }
  relabelObject(p: Principal, object: ObjectRow, labels: Record<string, string>, expectedVersion?: number) { return this.objects.relabel(p, object, labels, expectedVersion); }
  deleteObject(p: Principal, object: ObjectRow, expectedVersion?: number) { return this.objects.delete(p, object, expectedVersion); }

  listAccounts(accountId: string | null, f: ListFilter): Promise<Page<AccountRow>> { return this.accounts.listAccounts(accountId, f); }
  insertAccount(name: string, email: string | null, actor: Principal): Promise<AccountRow> { return this.accounts.createAccount(name, email, actor); }
  listApiKeys(accountId: string, f: ListFilter): Promise<Page<ApiKeyRow>> { return this.accounts.listApiKeys(accountId, f); }
  insertApiKey(accountId: string, name: string, role: Role, prefix: string, hash: string, actor: Principal): Promise<ApiKeyRow> {
    return this.accounts.createApiKey(accountId, name, role, prefix, hash, actor);
  }
  revokeApiKey(accountId: string, id: string, actor: Principal): Promise<ApiKeyRow | null> { return this.accounts.revokeApiKey(accountId, id, actor); }
  listUsage(accountId: string, f: { limit: number; cursor?: string | undefined; instanceId?: string | undefined; from?: string | undefined; to?: string | undefined }): Promise<Page<UsageRow>> {
    return this.billing.listUsage(accountId, f);
  }
  listInvoices(accountId: string, f: InvoiceListFilter): Promise<Page<InvoiceRow>> {
    let after: { createdAt: Date; id: string } | undefined;
    if (f.cursor !== undefined) after = decodeCursor(f.cursor);
    return this.invoices.list(accountId, {
      limit: f.limit, after, status: f.status, kind: f.kind, instanceId: f.instanceId,
      from: f.from !== undefined ? new Date(f.from) : undefined, to: f.to !== undefined ? new Date(f.to) : undefined,
    });
  }
  async getInvoice(accountId: string, id: string) { const v = await this.invoices.get(accountId, id); return { ...v.invoice, lines: v.lines }; }
  async previewInvoice(accountId: string, now: Date): Promise<InvoicePreviewRow> {
    const p = await this.invoices.preview(accountId, now);
    return { periodStart: p.periodStart, periodEnd: p.periodEnd, asOf: p.asOf, currency: p.built.currency, totalMinor: p.built.totalMinor, lines: p.built.lines };
  }
  recomputeInvoice(accountId: string, id: string) { return this.invoices.recompute(accountId, id); }
  usageReport(accountId: string, q: UsageReportQuery, now: Date) { return this.reports.usage(accountId, q, now); }
  chargebackReport(accountId: string, q: ChargebackQuery, now: Date) { return this.reports.chargeback(accountId, q, now); }
  getPriceBook(): Promise<PriceBookView | null> { return this.billing.priceBook(); }
  quote(accountId: string, req: QuoteRequest, at: Date): Promise<Quote> { return this.billing.quote(accountId, req, at); }
  renewInstance(p: Principal, id: string, periodMonths: number, at: Date): Promise<{ instance: InstanceRow; quote: Quote }> { return this.lifecycle.renew(p, id, periodMonths, at); }
  cancelPendingChange(p: Principal, id: string): Promise<InstanceRow> { return this.lifecycle.cancelPending(p, id); }
  setBillingStatus(p: Principal, id: string, status: 'active' | 'suspended', reason: string | null): Promise<InstanceRow> { return this.lifecycle.setStatus(p, id, status, reason); }
  setAccountBillingStatus(p: Principal, accountId: string, status: 'active' | 'suspended', reason: string | null, at: Date): Promise<InstanceRow[]> { return this.lifecycle.setAccountStatus(p, accountId, status, reason, at); }
  /** The expiry sweep and the monthly invoice sweep, on the same timer period. */
  startBillingSweeper(opts: { everyMs?: number; log?: { warn(o: object, msg: string): void } } = {}): { stop(): Promise<void> } {
    const sweepers = [this.lifecycle.startSweeper(opts), this.invoices.startSweeper(opts)];
    return { async stop() { await Promise.all(sweepers.map((x) => x.stop())); } };
  }

  liveWrite<T>(p: Principal, what: { kind: string; targetId: string; detail: unknown }, write: () => Promise<T>) { return this.liveWrites.run(p, what, write); }
  cancelRebalance(p: Principal, operationId: string) { return this.rebalanceCancels.cancel(p, operationId); }
  lagSampleTargets() { return this.lagRepo.targets(); }
  recordLag(rows: readonly LagSample[]) { return this.lagRepo.record(rows); }
  pruneLag(before: Date) { return this.lagRepo.prune(before); }
  lagHistory(instanceId: string, group: string, from: Date, to: Date) { return this.lagRepo.history(instanceId, group, from, to); }
  recordTopicSamples(rows: readonly TopicSample[]) { return this.topicSamples.record(rows); }
  pruneTopicSamples(before: Date) { return this.topicSamples.prune(before); }
  latestTopicSamples(instanceId: string, topics: readonly string[]) { return this.topicSamples.latest(instanceId, topics); }
  whoAmI(p: Principal) { return this.apiKeyRepo.withAccount(p.homeAccountId ?? p.accountId, p.keyId); }
  listAuditEvents(accountId: string, f: AuditListFilter): Promise<Page<AuditEventRow>> { return this.auditService.list(accountId, f); }
  audit(p: Principal, e: { action: string; targetType: string; targetId: string; detail: unknown }) { return this.#c.tx((tx) => this.trail.audit(tx, p, e.action, e.targetType, e.targetId, e.detail)); }

  idempotencyBegin(keyId: string, idemKey: string, requestHash: string): Promise<IdempotencyBegin> { return this.idempotency.begin(keyId, idemKey, requestHash); }
  idempotencyFinish(keyId: string, idemKey: string, status: number, response: unknown, headers: Record<string, string>) { return this.idempotency.finish(keyId, idemKey, status, response, headers); }
  idempotencyAbandon(keyId: string, idemKey: string) { return this.idempotency.abandon(keyId, idemKey); }
}
