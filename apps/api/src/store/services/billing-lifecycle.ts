import type { Quote } from '@tributary/contracts';
import { specOf, type Instance } from '@tributary/db';
import { addMonths, quoteRenewal, withPending } from '@tributary/pricing';
import { ApiError, notFound } from '../../errors.ts';
import { instanceJob } from '../../jobs/reconcile-jobs.ts';
import type { Connection, Tx } from '../connection.ts';
import { pendingOf, type InstanceRepository } from '../repositories/instances.ts';
import type { UsageRepository } from '../repositories/usage.ts';
import type { OutboxRepository } from '../repositories/outbox.ts';
import type { InstanceRow, Principal } from '../types.ts';
import type { BillingService } from './billing.ts';
import type { Trail } from './trail.ts';
import { sizeOf, type InvoiceService } from './invoices.ts';
import { orProblem } from './errors.ts';
import { usageOfSpec } from './instances.ts';

/** InstanceService.delete, as the retention sweep calls it (a normal delete: Operation, AuditEvent, reconcile job). */
type DeleteInstance = (p: Principal, id: string, opts: { force: boolean; reason?: string; onlyIf?: (tx: Tx) => Promise<boolean> }) => Promise<unknown>;

/** Who the sweep acts as in the audit trail: the control plane itself, not an API key. */
const SYSTEM_KEY = 'system:billing';

/**
 * What money does to an instance's life: renewal of a prepaid period, expiry (auto-renewal or
 * isolation), and an administrator isolating or resuming an instance. Every change of billing state
 * is an AuditEvent in the same transaction; a change of `billingStatus` also enqueues a reconcile job
 * (outbox), since the operator isolates a suspended instance's brokers (apps/operator
 * `billingSettings`). The billing columns are the API's; the spec and its generation do not change.
 */
export class BillingLifecycleService {
  readonly #c: Connection;
  readonly #instances: InstanceRepository;
  readonly #usage: UsageRepository;
  readonly #outbox: OutboxRepository;
  readonly #billing: BillingService;
  readonly #trail: Trail;
  readonly #invoices: InvoiceService;
  readonly #deleteInstance: DeleteInstance;
  /** How long an expired prepaid instance stays isolated (data kept) before it is deleted. */
  readonly isolationRetentionMs: number;
  constructor(c: Connection, repos: { instances: InstanceRepository; usage: UsageRepository; outbox: OutboxRepository; billing: BillingService; invoices: InvoiceService; deleteInstance: DeleteInstance }, trail: Trail, opts: { isolationRetentionMs?: number } = {}) {
    this.#c = c; this.#instances = repos.instances; this.#usage = repos.usage; this.#outbox = repos.outbox; this.#billing = repos.billing; this.#trail = trail;
    this.#invoices = repos.invoices; this.#deleteInstance = repos.deleteInstance;
    this.isolationRetentionMs = opts.isolationRetentionMs ?? 7 * 86_400_000;
  }

  async #row(tx: Tx, id: string, accountId: string | null) {
    const rows = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM "instance" WHERE id = ${id} AND deleted_at IS NULL FOR UPDATE`;
    if (rows.length === 0) return null;
    const row = await tx.instance.findUnique({ where: { id } });
    return row && (accountId === null || row.accountId === accountId) ? row : null;
  }

  async #after(id: string, accountId: string): Promise<InstanceRow> {
    const row = await this.#instances.get(accountId, id);
    if (!row) throw notFound('instance');
    return row;
  }

  /**
   * Extends a prepaid instance by `months` (from its expiry, or from now once expired) and restores
   * service if it was isolated. A pending downgrade is what the new period is priced at: renewed in
   * time, it is scheduled for the old expiry (`pending.effectiveAt`; the sweep applies it there);
   * renewed after the expiry, the new period starts now and it applies at once.
   */
  async renew(p: Principal, id: string, months: number, now: Date, action = 'instance.renew'): Promise<{ instance: InstanceRow; quote: Quote }> {
    const books = await this.#billing.priceBooks();
    const { quote, accountId } = await this.#c.instanceWrite(id, async (tx) => {
      const row = await this.#row(tx, id, p.accountId);
      if (!row) throw notFound('instance');
      const spec = specOf(row);
      if (spec.billing.mode !== 'prepaid' || !row.billingExpiresAt) throw new ApiError('not-prepaid', 'only prepaid instances are renewed; postpaid instances are billed by the hour');
      const pending = pendingOf(row);
      const size = withPending(sizeOf(spec), pending?.size ?? null);
      const q = { ...quoteRenewal(books, size, months, row.billingExpiresAt, now), downgradeEffectiveAt: null };
      // The renewal is paid now: its invoice (finalised) in the same transaction, once per new period.
      await this.#invoices.purchase(tx, row.accountId, row.id, { quote: 'renewal', size, months, expiresAt: row.billingExpiresAt.toISOString(), at: now.toISOString() }, `prepaid:${row.id}:renewal:${q.periodStart}`, now);
      await this.#apply(tx, p, row, { billingExpiresAt: new Date(q.periodEnd!), billingStatus: 'active' }, action, {
        periodMonths: months, from: row.billingExpiresAt.toISOString(), to: q.periodEnd, totalMinor: q.totalMinor, currency: q.currency, priceBookId: q.priceBookId,
        ...(pending ? { size } : {}),
      });
      if (pending && row.billingExpiresAt.getTime() <= now.getTime()) await this.#applyPending(tx, p, row, now);
      else if (pending && !pending.effectiveAt) await this.#instances.setPending(tx, row.id, { ...pending, effectiveAt: row.billingExpiresAt });
      return { quote: q, accountId: row.accountId };
    });
    return { instance: await this.#after(id, accountId), quote };
  }

  /**
   * A pending downgrade becomes the spec (the renewal priced at it has started): the next generation,
   * an `instance.update` Operation and AuditEvent by whoever renewed (the sweep: `system:billing`),
   * the sold-size usage records restarted, and a reconcile job — the operator rolls the smaller size
   * out as for any spec change.
   */
  async #applyPending(tx: Tx, p: Principal, row: Instance, now: Date): Promise<void> {
    const pending = pendingOf(row);
    if (!pending) return;
    const spec = { ...specOf(row), ...pending.size };
    const labels = row.labels as Record<string, string>;
    const updated = orProblem(await this.#instances.updateSpec(tx, row.accountId, row.id, { labels, spec }), { missing: 'instance' });
    await this.#instances.setPending(tx, row.id, null);
    const operation = await this.#trail.operation(tx, { ...p, accountId: row.accountId }, 'instance.update', 'instance', row.id, updated.generation, {
      spec, reason: 'prepaid downgrade applied at the renewal', pendingChange: { ...pending.size, requestedAt: pending.requestedAt.toISOString() },
    });
    await this.#usage.restart(tx, row.id, now, usageOfSpec(spec), 'spec-change');
    await this.#outbox.add(tx, instanceJob({ instanceId: row.id, generation: updated.generation, reason: 'updated', operationId: operation.id }));
  }

  /** Cancels a pending downgrade (the spec stays as paid); refused once the renewal at the lower size is paid. */
  async cancelPending(p: Principal, id: string): Promise<InstanceRow> {
    const accountId = await this.#c.instanceWrite(id, async (tx) => {
      const row = await this.#row(tx, id, p.accountId);
      if (!row) throw notFound('instance');
      const pending = pendingOf(row);
      if (!pending) throw notFound('pending change');
      if (pending.effectiveAt) {
        throw new ApiError('pending-change-renewed', `the renewal from ${pending.effectiveAt.toISOString()} is paid at the pending size; the downgrade applies then (upgrade after it, prorated, to undo it)`);
      }
      await this.#instances.setPending(tx, row.id, null, true);
      await this.#trail.audit(tx, p, 'instance.pending-change.cancel', 'instance', row.id, { pendingChange: { ...pending.size, requestedAt: pending.requestedAt.toISOString() } }, row.generation);
      return row.accountId;
    });
    return this.#after(id, accountId);
  }

  /** An administrator isolates (suspended) or resumes (active) any account's instance. */
  async setStatus(p: Principal, id: string, status: 'active' | 'suspended', reason: string | null, scope: 'instance' | 'account' = 'instance'): Promise<InstanceRow> {
    const accountId = await this.#c.instanceWrite(id, async (tx) => {
      const row = await this.#row(tx, id, null);
      if (!row) throw notFound('instance');
      await this.#apply(tx, p, row, { billingStatus: status }, status === 'suspended' ? 'instance.isolate' : 'instance.resume', { reason, ...(scope === 'account' ? { scope } : {}) });
      return row.accountId;
    });
    return this.#after(id, accountId);
  }

  /**
   * An administrator isolates or resumes every instance of an account (an overdue postpaid account),
   * each as `setStatus` does it (its own transaction, AuditEvent and reconcile job), with
   * `scope: account` in the audit detail. Resuming skips prepaid instances past their expiry: those
   * were isolated by the expiry and come back through a renewal, not for free. Instances created
   * after the call are not affected. Returns the instances changed.
   */
  async setAccountStatus(p: Principal, accountId: string, status: 'active' | 'suspended', reason: string | null, now: Date): Promise<InstanceRow[]> {
    if (!(await this.#c.db.account.findUnique({ where: { id: accountId }, select: { id: true } }))) throw notFound('account');
    const rows = await this.#c.db.instance.findMany({
      where: { accountId, deletedAt: null, billingStatus: status === 'suspended' ? 'active' : 'suspended' },
      select: { id: true, billingMode: true, billingExpiresAt: true }, orderBy: { createdAt: 'asc' },
    });
    const changed: InstanceRow[] = [];
    for (const r of rows) {
      if (status === 'active' && r.billingMode === 'prepaid' && r.billingExpiresAt && r.billingExpiresAt.getTime() <= now.getTime()) continue;
      changed.push(await this.setStatus(p, r.id, status, reason, 'account'));
    }
    return changed;
  }

  async #apply(tx: Tx, p: Principal, row: { id: string; accountId: string; generation: number; billingStatus: string; billingExpiresAt: Date | null }, change: { billingStatus: 'active' | 'suspended'; billingExpiresAt?: Date }, action: string, detail: Record<string, unknown>): Promise<void> {
    await tx.instance.update({ where: { id: row.id }, data: { ...change, version: { increment: 1 } } });
    await this.#trail.audit(tx, { ...p, accountId: row.accountId }, action, 'instance', row.id, { ...detail, billingStatus: { from: row.billingStatus, to: change.billingStatus } }, row.generation);
    if (row.billingStatus !== change.billingStatus) {
      await this.#outbox.add(tx, instanceJob({ instanceId: row.id, generation: row.generation, reason: 'billing' }));
    }
  }

  /**
   * Prepaid instances past their expiry: renewed for another period when autoRenew is set (a
   * pending downgrade applied first, at the expiry, so the renewals are priced at it), isolated
   * otherwise (a pending downgrade waits for a renewal). Downgrades whose paid renewal has started
   * are applied too. Safe to run from every API process at once: each instance is taken with SKIP
   * LOCKED and re-checked under its lock.
   */
  async sweep(now: Date): Promise<{ renewed: string[]; isolated: string[]; downgraded: string[] }> {
    const out = { renewed: [] as string[], isolated: [] as string[], downgraded: await this.#applyDuePending(now) };
    const due = await this.#c.db.instance.findMany({
      where: { deletedAt: null, billingMode: 'prepaid', billingStatus: 'active', billingExpiresAt: { lte: now } }, select: { id: true, accountId: true }, take: 500,
    });
    for (const d of due) {
      const system: Principal = { keyId: SYSTEM_KEY, accountId: d.accountId, role: 'admin' };
      const books = await this.#billing.priceBooks();
      const done = await this.#c.instanceWrite(d.id, async (tx) => {
        const locked = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM "instance" WHERE id = ${d.id} AND deleted_at IS NULL AND billing_status = 'active' AND billing_expires_at <= ${now} FOR UPDATE SKIP LOCKED`;
        if (locked.length === 0) return null;
        const row = (await tx.instance.findUnique({ where: { id: d.id } }))!;
        const spec = specOf(row);
        if (spec.billing.autoRenew) {
          const pending = pendingOf(row);
          const size = withPending(sizeOf(spec), pending?.size ?? null);
          // Renewed from the old expiry, period after period, until it lies ahead: nothing unpaid in between.
          let expires = row.billingExpiresAt!;
          const months = spec.billing.periodMonths ?? 1;
          let totalMinor = 0;
          while (expires.getTime() <= now.getTime()) {
            const q = quoteRenewal(books, size, months, expires, expires);
            totalMinor += q.totalMinor;
            await this.#invoices.purchase(tx, row.accountId, row.id, { quote: 'renewal', size, months, expiresAt: expires.toISOString(), at: expires.toISOString() }, `prepaid:${row.id}:renewal:${q.periodStart}`, now);
            expires = addMonths(expires, months);
          }
          await this.#apply(tx, system, row, { billingStatus: 'active', billingExpiresAt: expires }, 'instance.auto-renew', { periodMonths: months, from: row.billingExpiresAt!.toISOString(), to: expires.toISOString(), totalMinor, ...(pending ? { size } : {}) });
          if (pending) {
            await this.#applyPending(tx, system, row, now);
            out.downgraded.push(row.id);
          }
          return 'renewed' as const;
        }
        await this.#apply(tx, system, row, { billingStatus: 'suspended' }, 'instance.expire', { expiredAt: row.billingExpiresAt!.toISOString() });
        return 'isolated' as const;
      });
      if (done) out[done].push(d.id);
    }
    return out;
  }

  /** Downgrades whose paid renewal has begun (`pending_effective_at` passed) become the spec. */
  async #applyDuePending(now: Date): Promise<string[]> {
    const due = await this.#c.db.instance.findMany({ where: { deletedAt: null, pendingEffectiveAt: { lte: now } }, select: { id: true, accountId: true }, take: 500 });
    const applied: string[] = [];
    for (const d of due) {
      const done = await this.#c.instanceWrite(d.id, async (tx) => {
        const locked = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM "instance" WHERE id = ${d.id} AND deleted_at IS NULL AND pending_effective_at <= ${now} FOR UPDATE SKIP LOCKED`;
        if (locked.length === 0) return false;
        const row = (await tx.instance.findUnique({ where: { id: d.id } }))!;
        await this.#applyPending(tx, { keyId: SYSTEM_KEY, accountId: d.accountId, role: 'admin' }, row, now);
        return true;
      });
      if (done) applied.push(d.id);
    }
    return applied;
  }

  /**
   * Expired prepaid instances still isolated `isolationRetentionMs` after their expiry are deleted
   * through the normal delete (force: their topics too): an `instance.delete` Operation and
   * AuditEvent by `system:billing` with the reason, and the operator's reconcile job tears the
   * brokers down. The API does it, not the operator, because the instance, operation and audit
   * tables are the API's (libs/db README, table ownership). Each is re-checked under its row lock, so
   * one renewed meanwhile is kept.
   */
  async deleteAfterRetention(now: Date): Promise<string[]> {
    const before = new Date(now.getTime() - this.isolationRetentionMs);
    const due = await this.#c.db.instance.findMany({
      where: { deletedAt: null, billingMode: 'prepaid', billingStatus: 'suspended', billingExpiresAt: { lte: before } }, select: { id: true, accountId: true, billingExpiresAt: true }, take: 500,
    });
    const deleted: string[] = [];
    for (const d of due) {
      const system: Principal = { keyId: SYSTEM_KEY, accountId: d.accountId, role: 'admin' };
      const stillDue = async (tx: Tx) => (await tx.$queryRaw<{ id: string }[]>`SELECT id FROM "instance" WHERE id = ${d.id} AND deleted_at IS NULL AND billing_status = 'suspended' AND billing_expires_at <= ${before} FOR UPDATE`).length === 1;
      try {
        await this.#deleteInstance(system, d.id, { force: true, onlyIf: stillDue, reason: `isolated since the prepaid period expired at ${d.billingExpiresAt!.toISOString()}; retention of ${this.isolationRetentionMs / 3_600_000} h ended` });
        deleted.push(d.id);
      } catch (err) {
        if (err instanceof ApiError && (err.code === 'conflict' || err.code === 'not-found')) continue; // renewed or deleted meanwhile
        throw err;
      }
    }
    return deleted;
  }

  /** Runs the sweep every `everyMs` until stopped (buildApp starts it beside the outbox drainer). */
  startSweeper(opts: { everyMs?: number; log?: { warn(o: object, msg: string): void } } = {}): { stop(): Promise<void> } {
    let running: Promise<unknown> = Promise.resolve();
    const timer = setInterval(() => {
      running = this.sweep(new Date()).then(() => this.deleteAfterRetention(new Date())).catch((err: unknown) => opts.log?.warn({ err }, 'billing sweep failed'));
    }, opts.everyMs ?? 60_000);
    timer.unref();
    return { async stop() { clearInterval(timer); await running; } };
  }
}
