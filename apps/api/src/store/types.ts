import type { InstanceSpec, Operation, Quote, QuoteRequest, Role, TopicCreate } from '@tributary/contracts';
import type { ReconcileQueue } from '../jobs/queue.ts';
import type { Line, PendingSize, ReportRow } from '@tributary/pricing';
import type { ChargebackQuery, ChargebackRow, UsageReportQuery } from './services/reports.ts';
import type { StoredInvoice } from './repositories/invoices.ts';
import type { RecomputeResult } from './services/invoices.ts';
import type { AuditEventRow } from './repositories/operations.ts';

/**
 * What the routes need from persistence (implemented by PrismaStore over repositories and services).
 * Each mutating method is one transaction that also writes the Operation, the AuditEvent and (for
 * spec changes) the UsageRecord, so the trail can never diverge from the spec; rules that depend on
 * other rows (instance limits) are checked there, under the instance's row lock, and answered as
 * ApiErrors. `expectedVersion` implements If-Match: the write fails with 'precondition-failed' when
 * the row changed since the client read it.
 */
/**
 * Who asks, and for which account. `accountId` is the account every route scopes to; a platform
 * admin acting on another account (the Tributary-Account header, plugins/auth.ts) has that
 * account here and its key's own in `homeAccountId`.
 */
export interface Principal { keyId: string; accountId: string; role: Role; homeAccountId?: string }

/** A consumer group's lag on one topic (summed over its partitions) at one sampling instant. */
export interface LagSample { instanceId: string; group: string; topic: string; at: Date; lag: number }
/** A topic's end offsets and size (each summed over its partitions' leaders) at one sampling instant. */
export interface TopicSample { instanceId: string; topic: string; at: Date; endOffsets: bigint; sizeBytes: bigint }

export interface InstanceRow {
  id: string; accountId: string; name: string; labels: Record<string, string>; spec: InstanceSpec;
  generation: number; observedGeneration: number; phase: string; statusBrokers: number;
  /** The brokers' internal listener (trusted, no credentials): for the API's own admin calls only; never shown (apps/operator/README.md "Endpoints"). */
  internalBootstrapServers: string | null;
  /** The client endpoint (SASL/SCRAM): what status.bootstrapServers shows. */
  clientBootstrapServers: string | null;
  /** Kafka security.protocol of the client endpoint; null in rows the operator wrote before recording it (SASL_PLAINTEXT). */
  clientSecurityProtocol: string | null;
  conditions: unknown[]; billingStatus: 'active' | 'overdue' | 'suspended'; billingStartedAt: Date; billingExpiresAt: Date | null;
  /** A prepaid downgrade waiting for the renewal (libs/pricing `planPrepaidChange`); `effectiveAt` once the renewal at that size is paid. */
  pending: { size: PendingSize; requestedAt: Date; effectiveAt: Date | null } | null;
  version: number; createdAt: Date; updatedAt: Date;
}

export interface TopicRow {
  id: string; instanceId: string; name: string; partitions: number; replicationFactor: number;
  configs: Record<string, string>; labels: Record<string, string>; generation: number; observedGeneration: number;
  phase: string; version: number; createdAt: Date; updatedAt: Date;
}

export interface Page<T> { items: T[]; nextCursor?: string }
export interface InstanceCacheStatus { usable: boolean; size: number; hits: number; misses: number; bypassed: number; invalidations: number }
export interface ListFilter { limit: number; cursor?: string | undefined; name?: string | undefined; label?: string | undefined }

export interface Store {
  findApiKeyByHash(hash: string): Promise<Principal | null>;
  /** Sets lastUsedAt to `at` unless it is already within `withinMs` of it (one cheap conditional UPDATE). */
  touchApiKey(keyId: string, at: Date, withinMs: number): Promise<void>;
  ping(): Promise<void>;
  /** The instance cache's counters for /metrics; null (or absent) without a cache. */
  instanceCacheStatus?(): InstanceCacheStatus | null;

  listInstances(accountId: string, f: ListFilter): Promise<Page<InstanceRow>>;
  getInstance(accountId: string, id: string): Promise<InstanceRow | null>;
  createInstance(p: Principal, input: { name: string; labels: Record<string, string>; spec: InstanceSpec }): Promise<{ instance: InstanceRow; operation: Operation }>;
  updateInstance(p: Principal, id: string, input: { labels: Record<string, string>; spec: InstanceSpec }, expectedVersion?: number): Promise<{ instance: InstanceRow; operation: Operation }>;
  deleteInstance(p: Principal, id: string, opts: { force: boolean; expectedVersion?: number }): Promise<{ instance: InstanceRow; operation: Operation }>;

  listTopics(instanceId: string, f: ListFilter): Promise<Page<TopicRow>>;
  getTopic(instanceId: string, name: string): Promise<TopicRow | null>;
  topicUsage(instanceId: string): Promise<{ topics: number; partitions: number }>;
  createTopic(p: Principal, instance: InstanceRow, input: TopicCreate): Promise<{ topic: TopicRow; operation: Operation }>;
  updateTopic(p: Principal, topic: TopicRow, change: { configs?: Record<string, string>; labels?: Record<string, string>; partitions?: number; replicationFactor?: number }, expectedVersion?: number): Promise<{ topic: TopicRow; operation: Operation }>;
  deleteTopic(p: Principal, topic: TopicRow, expectedVersion?: number): Promise<{ topic: TopicRow; operation: Operation }>;

  getOperation(accountId: string, id: string): Promise<Operation | null>;
  /** The account's operations, oldest first; `targetId` narrows to one resource's. */
  listOperations(accountId: string, f: { limit: number; cursor?: string | undefined; targetId?: string | undefined }): Promise<Page<Operation>>;

  listObjects(instanceId: string, kind: ObjectKind, f: ListFilter): Promise<Page<ObjectRow>>;
  getObject(instanceId: string, kind: ObjectKind, name: string): Promise<ObjectRow | null>;
  countObjects(instanceId: string, kind: ObjectKind): Promise<number>;
  /** A kind that counts against an instance limit (consumer-group quotas) is checked inside the transaction, under the instance lock. */
  createObject(p: Principal, instance: InstanceRow, kind: ObjectKind, name: string, data: Record<string, unknown>, labels?: Record<string, string>): Promise<{ object: ObjectRow; operation: Operation }>;
  /** `labels` replaces the object's labels when given, else they stay. */
  updateObject(p: Principal, object: ObjectRow, data: Record<string, unknown>, expectedVersion?: number, labels?: Record<string, string>): Promise<{ object: ObjectRow; operation: Operation }>;
  /** Replaces the labels alone: nothing for the brokers to do, so an audit event and no operation. */
  relabelObject(p: Principal, object: ObjectRow, labels: Record<string, string>, expectedVersion?: number): Promise<ObjectRow>;
  deleteObject(p: Principal, object: ObjectRow, expectedVersion?: number): Promise<{ object: ObjectRow; operation: Operation }>;

  listAccounts(accountId: string | null, f: ListFilter): Promise<Page<AccountRow>>;
  /** Account and API-key changes made through the API (`actor`) leave an AuditEvent in the same transaction. */
  insertAccount(name: string, email: string | null, actor: Principal): Promise<AccountRow>;
  listApiKeys(accountId: string, f: ListFilter): Promise<Page<ApiKeyRow>>;
  insertApiKey(accountId: string, name: string, role: Role, prefix: string, hash: string, actor: Principal): Promise<ApiKeyRow>;
  revokeApiKey(accountId: string, id: string, actor: Principal): Promise<ApiKeyRow | null>;
  listUsage(accountId: string, f: { limit: number; cursor?: string | undefined; instanceId?: string | undefined; from?: string | undefined; to?: string | undefined }): Promise<Page<UsageRow>>;
  /** Invoices without lines, oldest first (filters: status, kind, instance, period overlap). */
  listInvoices(accountId: string, f: InvoiceListFilter): Promise<Page<InvoiceRow>>;
  /** One invoice with its lines (not-found). */
  getInvoice(accountId: string, id: string): Promise<InvoiceRow & { lines: Line[] }>;
  /** The current month's invoice so far (never stored). */
  previewInvoice(accountId: string, now: Date): Promise<InvoicePreviewRow>;
  /** The invoice priced again from the raw usage it was built from, compared line by line (not-found). */
  recomputeInvoice(accountId: string, id: string): Promise<RecomputeResult>;
  /** Usage and cost per bucket, by instance or instance label (validation-failed for a bad range). */
  usageReport(accountId: string, q: UsageReportQuery, now: Date): Promise<{ currency: string; from: Date; to: Date; rows: ReportRow[]; totalMinor: number }>;
  /** Bytes in and out per bucket, instance and topic or principal. */
  chargebackReport(accountId: string, q: ChargebackQuery, now: Date): Promise<{ from: Date; to: Date; rows: ChargebackRow[] }>;
  /** The latest price book in effect (effectiveFrom ≤ now), or null when there is none. */
  getPriceBook(): Promise<PriceBookView | null>;
  /** A price inquiry priced by libs/pricing at `at` (ApiErrors: not-found, not-prepaid, price-unavailable, validation-failed). */
  quote(accountId: string, req: QuoteRequest, at: Date): Promise<Quote>;
  /** Cancels an instance's pending prepaid downgrade (not-found when none; pending-change-renewed once its renewal is paid); AuditEvent instance.pending-change.cancel. */
  cancelPendingChange(p: Principal, id: string): Promise<InstanceRow>;
  /** Renews a prepaid instance (not-found, not-prepaid); restores an isolated one; AuditEvent instance.renew. */
  renewInstance(p: Principal, id: string, periodMonths: number, at: Date): Promise<{ instance: InstanceRow; quote: Quote }>;
  /** Platform admins: isolate (suspended) or resume (active) any account's instance; AuditEvent instance.isolate / instance.resume. */
  setBillingStatus(p: Principal, id: string, status: 'active' | 'suspended', reason: string | null): Promise<InstanceRow>;
  /** Isolates or resumes every instance of an account (platform admins; not-found for an unknown account); resuming skips expired prepaid instances. */
  setAccountBillingStatus(p: Principal, accountId: string, status: 'active' | 'suspended', reason: string | null, at: Date): Promise<InstanceRow[]>;
  /** Expires prepaid instances past their period (auto-renew or isolate), every minute until stopped. */
  startBillingSweeper?(opts?: { everyMs?: number; log?: { warn(o: object, msg: string): void } }): { stop(): Promise<void> };

  /**
   * A write the API makes on the brokers itself (consumer groups): its Operation (Running) and
   * AuditEvent are committed first, then `write` runs, then the operation is Succeeded or Failed.
   */
  liveWrite<T>(p: Principal, what: { kind: string; targetId: string; detail: unknown }, write: () => Promise<T>): Promise<{ result: T; operation: Operation }>;
  /** Records a cancel of the data `operationId` moves (services/rebalance-cancel.ts): the `rebalance.cancel` operation. */
  cancelRebalance(p: Principal, operationId: string): Promise<Operation>;
  /** Lag history (jobs/lag-sampler.ts): the instances to sample, a tick's points, pruning, and one group's history. */
  lagSampleTargets(): Promise<{ id: string; bootstrapServers: string }[]>;
  recordLag(rows: readonly LagSample[]): Promise<void>;
  pruneLag(before: Date): Promise<number>;
  lagHistory(instanceId: string, group: string, from: Date, to: Date): Promise<LagSample[]>;
  /** Topic samples (jobs/topic-sampler.ts): a tick's samples, pruning, and the newest two of each named topic. */
  recordTopicSamples(rows: readonly TopicSample[]): Promise<void>;
  pruneTopicSamples(before: Date): Promise<number>;
  latestTopicSamples(instanceId: string, topics: readonly string[]): Promise<TopicSample[]>;
  /** The calling key with its account's name (GET /v1/me); null once revoked. */
  /** The calling key and the name of its own account (the home account when acting on another). */
  whoAmI(p: Principal): Promise<{ key: ApiKeyRow; accountName: string } | null>;
  /** The account's audit trail, newest first (GET /v1/audit-events); a bad cursor is a 422. */
  listAuditEvents(accountId: string, f: { limit: number; cursor?: string | undefined; targetId?: string | undefined; action?: string | undefined; keyId?: string | undefined }): Promise<Page<AuditEventRow>>;
  /** An AuditEvent alone, in its own transaction: reads and writes of message content (routes/messages.ts). */
  audit(p: Principal, e: { action: string; targetType: string; targetId: string; detail: unknown }): Promise<void>;
  /** Starts delivering the outbox's jobs to the queue (PrismaStore: jobs/outbox-drainer.ts); buildApp stops it on close. */
  startOutboxDrainer?(queue: ReconcileQueue, opts?: { log?: { info(o: object, msg: string): void; warn(o: object, msg: string): void } }): { stop(): Promise<void> };

  idempotencyBegin(keyId: string, idemKey: string, requestHash: string): Promise<IdempotencyBegin>;
  idempotencyFinish(keyId: string, idemKey: string, status: number, response: unknown, headers: Record<string, string>): Promise<void>;
  idempotencyAbandon(keyId: string, idemKey: string): Promise<void>;
}

export type IdempotencyBegin =
  | { state: 'new' }
  | { state: 'replay'; status: number; response: unknown; headers: Record<string, string> }
  | { state: 'in-flight' }
  | { state: 'mismatch' };

export type ObjectKind = 'users' | 'acls' | 'client-quotas' | 'consumer-group-quotas';
export interface ObjectRow {
  id: string; instanceId: string; kind: ObjectKind; name: string; data: Record<string, unknown>;
  /** Ownership and filtering only (e.g. `tributary.dev/stack`): never sent to the brokers. */
  labels: Record<string, string>;
  version: number; createdAt: Date; updatedAt: Date;
}

export interface AccountRow { id: string; name: string; email: string | null; createdAt: Date; updatedAt: Date }
export interface ApiKeyRow { id: string; accountId: string; name: string; role: Role; prefix: string; lastUsedAt: Date | null; createdAt: Date }
export interface UsageRow { id: string; instanceId: string; meter: string; quantity: number; periodStart: Date; periodEnd: Date | null; source: string; createdAt: Date }
export type InvoiceRow = StoredInvoice;
export interface InvoiceListFilter { limit: number; cursor?: string | undefined; status?: 'draft' | 'finalised' | undefined; kind?: 'monthly' | 'prepaid' | undefined; instanceId?: string | undefined; from?: string | undefined; to?: string | undefined }
export interface InvoicePreviewRow { periodStart: Date; periodEnd: Date; asOf: Date; currency: string; totalMinor: number; lines: Line[] }
export interface PriceBookView {
  id: string; currency: string; effectiveFrom: string; prepaidDiscountPercent: number;
  rates: { meter: 'broker-hour' | 'bandwidth-mbps-hour' | 'disk-gib-hour' | 'partition-hour'; unitPriceMicros: number }[];
}
