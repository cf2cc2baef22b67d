import { randomUUID } from 'node:crypto';
import { isAbsolute, join } from 'node:path';
import { LOCK_LABEL, partition, STACK_LABEL, type Change, type Plan } from '@tributary/spec';
import { ApiProblemError, call, type Api } from '../client.ts';
import { CliError, EXIT } from '../exit-codes.ts';
import { paint, type Io } from '../output.ts';
import { readSecret } from '../secrets.ts';
import { waitInstance, waitInstanceGone, waitOperation, type WaitOptions } from '../wait.ts';

export interface ApplyFlags { prune: boolean; allowDataLoss: boolean; timeoutMs: number }

/** What an apply did, in order, for the report (and for --output json). */
export interface ApplyReport { done: { address: string; action: string }[]; failed?: { address: string; action: string; error: string }; notDone: { address: string; action: string }[] }

/**
 * Runs a plan. Before any write: refusals and data-loss changes without their flag stop it (exit 8),
 * every password reference is resolved (so a missing variable is not found halfway), and the stack
 * is locked — a label written on each owned instance it changes, with If-Match of the ETag the
 * plan read. A second apply planned from the same state gets 412 on its first write and stops
 * having changed nothing; one planned while the lock is held sees the lock and stops too. Every
 * change is then made with If-Match (updates, deletes) or as a create with an Idempotency-Key, and
 * waited for; the first failure stops the apply and is reported with what was done before it.
 */
export async function applyPlan(api: Api, io: Io, plan: Plan, flags: ApplyFlags, baseDirOf: Map<string, string>): Promise<ApplyReport> {
  if (plan.conflicts.length > 0) throw new CliError(`cannot apply: ${plan.conflicts.length} declared instance(s) belong to another owner`, EXIT.refused, plan.conflicts.map((c) => c.message));
  const { run, held } = partition(plan, flags);
  const blocking = held.filter((h) => !h.change.orphan || h.change.refused || (flags.prune && h.change.dataLoss));
  if (blocking.length > 0) {
    throw new CliError(`nothing applied: ${blocking.length} change(s) need a flag or cannot be made`, EXIT.refused, blocking.map((h) => `${h.change.address}: ${h.reason}`));
  }
  const report: ApplyReport = { done: [], notDone: run.map((c) => ({ address: c.address, action: c.action })) };
  if (run.length === 0) return report;

  const passwords = new Map<string, string>();
  for (const c of run) {
    if (c.kind === 'user' && c.desired && c.action !== 'delete') {
      const ref = c.desired.password;
      const base = baseDirOf.get(c.instance) ?? process.cwd();
      passwords.set(c.address, readSecret('env' in ref ? { env: ref.env } : { file: isAbsolute(ref.file) ? ref.file : join(base, ref.file) }, c.address));
    }
  }

  const runId = randomUUID();
  const wait: WaitOptions = { timeoutMs: flags.timeoutMs, intervalMs: 500 };
  const exec = new Executor(api, io, runId, wait, passwords);
  const locked = await exec.lock(plan, run);
  let current: Change | undefined;
  try {
    for (const c of run) {
      current = c;
      const started = Date.now();
      io.err(`${c.address}: ${c.action}…\n`);
      await exec.apply(c);
      io.err(`${c.address}: ${paint(io, 'green', 'done')} (${Math.round((Date.now() - started) / 1000)}s)\n`);
      report.done.push({ address: c.address, action: c.action });
      report.notDone.shift();
    }
    current = undefined;
  } catch (err) {
    if (current) {
      report.notDone.shift();
      report.failed = { address: current.address, action: current.action, error: (err as Error).message };
    }
    await exec.unlock(locked).catch(() => undefined);
    throw Object.assign(err as Error, { report });
  }
  await exec.unlock(locked);
  // Everything Ready: each instance the stack keeps is Running at its latest generation.
  for (const name of [...new Set(run.filter((c) => !(c.kind === 'instance' && c.action === 'delete')).map((c) => c.instance))].sort()) {
    const id = exec.instanceIds.get(name);
    if (id && !exec.deleted.has(name)) await waitInstance(api, io, id, wait);
  }
  return report;
}

class Executor {
  readonly instanceIds = new Map<string, string>();
  readonly etags = new Map<string, string>();
  readonly deleted = new Set<string>();
  private readonly api: Api;
  private readonly io: Io;
  private readonly runId: string;
  private readonly wait: WaitOptions;
  private readonly passwords: Map<string, string>;
  constructor(api: Api, io: Io, runId: string, wait: WaitOptions, passwords: Map<string, string>) {
    this.api = api; this.io = io; this.runId = runId; this.wait = wait; this.passwords = passwords;
  }

  private key(c: Change, step: string) { return `${this.runId}:${c.address}:${step}`; }
  private idOf(instance: string): string {
    const id = this.instanceIds.get(instance);
    if (!id) throw new CliError(`instance ${instance} has no id yet`, EXIT.error);
    return id;
  }

  /** Locks the owned instances the run changes, in name order, with If-Match of the plan's ETags. */
  async lock(plan: Plan, run: Change[]): Promise<string[]> {
    for (const c of plan.changes) if (c.kind === 'instance' && c.actual) { this.instanceIds.set(c.instance, c.actual.id); this.etags.set(c.instance, c.actual.etag); }
    const names = [...new Set(run.map((c) => c.instance))].filter((n) => this.instanceIds.has(n)).sort();
    const locked: string[] = [];
    for (const name of names) {
      const inst = plan.changes.find((c) => c.kind === 'instance' && c.instance === name)?.actual as { id: string; etag: string; labels: Record<string, string>; spec: unknown } | undefined;
      if (!inst) continue;
      if (inst.labels[LOCK_LABEL]) {
        throw new CliError(`stack ${plan.stack} is being applied by another run (instance ${name} carries ${LOCK_LABEL}=${inst.labels[LOCK_LABEL]}); nothing was changed`, EXIT.conflict,
          ['if no apply is running (one was killed), remove the label: tributary apply --force-unlock -f DIR']);
      }
      try {
        const { data } = await call(this.api.PUT('/v1/instances/{id}', {
          params: { path: { id: inst.id } }, body: { labels: { ...inst.labels, [LOCK_LABEL]: this.runId.slice(0, 36) }, spec: inst.spec as never }, headers: { 'if-match': inst.etag },
        }));
        this.etags.set(name, data.resource.etag);
        locked.push(name);
      } catch (err) {
        await this.unlock(locked).catch(() => undefined);
        if (err instanceof ApiProblemError && err.status === 412) {
          throw new CliError(`instance ${name} changed since the plan was read (another apply or a change through the API): nothing was changed by this run; plan again`, EXIT.conflict);
        }
        throw err;
      }
    }
    return locked;
  }

  async unlock(names: string[]): Promise<void> {
    for (const name of names) {
      if (this.deleted.has(name)) continue;
      const { data } = await call(this.api.GET('/v1/instances/{id}', { params: { path: { id: this.idOf(name) } } }));
      if (!data.labels[LOCK_LABEL]) continue;
      const labels = { ...data.labels };
      delete labels[LOCK_LABEL];
      await call(this.api.PUT('/v1/instances/{id}', { params: { path: { id: data.id } }, body: { labels, spec: data.spec }, headers: { 'if-match': data.etag } }));
    }
  }

  async apply(c: Change): Promise<void> {
    switch (c.kind) {
      case 'instance': return this.instance(c);
      case 'topic': return this.topic(c);
      case 'user': return this.user(c);
      case 'acl': return this.acl(c);
      case 'client-quota': return this.clientQuota(c);
      case 'consumer-group-quota': return this.groupQuota(c);
    }
  }

  private async op(p: Promise<{ data: { operation: { id: string } }; response: Response }>) {
    const { data } = await p;
    await waitOperation(this.api, this.io, data.operation.id, { ...this.wait, quiet: !this.io.tty });
    return data;
  }

  private async instance(c: Extract<Change, { kind: 'instance' }>) {
    if (c.action === 'create' && c.desired) {
      const { data } = await call(this.api.POST('/v1/instances', { body: c.desired as never, headers: { 'idempotency-key': this.key(c, 'create') } }));
      this.instanceIds.set(c.instance, data.resource.id);
      this.etags.set(c.instance, data.resource.etag);
      await waitInstance(this.api, this.io, data.resource.id, this.wait);
    } else if (c.action === 'update' && c.desired) {
      const id = this.idOf(c.instance);
      const labels = { ...c.desired.labels, [LOCK_LABEL]: this.runId.slice(0, 36) };
      const { data } = await call(this.api.PUT('/v1/instances/{id}', { params: { path: { id } }, body: { labels, spec: c.desired.spec as never }, headers: { 'if-match': this.etags.get(c.instance)! } }));
      this.etags.set(c.instance, data.resource.etag);
      await waitInstance(this.api, this.io, id, this.wait);
    } else if (c.action === 'delete' || c.action === 'replace') {
      // Replace: delete (If-Match of the locked instance), wait until it is gone, then create it as
      // the files say; the changes after this one create its topics, users, ACLs and quotas.
      const id = this.idOf(c.instance);
      // force: a replaced instance still holds its topics (all the stack's: diff refuses a replacement
      // that would take topics the stack does not own); a deleted one has had them deleted before it.
      const query = c.action === 'replace' ? { force: 'true' as const } : {};
      const { data } = await call(this.api.DELETE('/v1/instances/{id}', { params: { path: { id }, query }, headers: { 'if-match': this.etags.get(c.instance)! } }));
      this.deleted.add(c.instance);
      await waitOperation(this.api, this.io, data.operation.id, this.wait);
      await waitInstanceGone(this.api, this.io, id, this.wait);
      if (c.action === 'replace' && c.desired) {
        const created = (await call(this.api.POST('/v1/instances', { body: c.desired as never, headers: { 'idempotency-key': this.key(c, 'create') } }))).data;
        this.deleted.delete(c.instance);
        this.instanceIds.set(c.instance, created.resource.id);
        this.etags.set(c.instance, created.resource.etag);
        await waitInstance(this.api, this.io, created.resource.id, this.wait);
      }
    } else throw new CliError(`${c.address}: ${c.action} of an instance is not something apply does`, EXIT.refused);
  }

  private async topic(c: Extract<Change, { kind: 'topic' }>) {
    const id = this.idOf(c.instance);
    const path = { id, name: c.name };
    if (c.action === 'delete' || c.action === 'replace') {
      await this.op(call(this.api.DELETE('/v1/instances/{id}/topics/{name}', { params: { path }, headers: { 'if-match': c.actual!.etag } })));
      if (c.action === 'delete') return;
    }
    if (c.action === 'create' || c.action === 'replace') {
      await this.op(call(this.api.POST('/v1/instances/{id}/topics', { params: { path: { id } }, body: c.desired!, headers: { 'idempotency-key': this.key(c, 'create') } })));
      return;
    }
    let etag = c.actual!.etag;
    if (c.desired!.partitions > c.actual!.partitions) {
      const data = await this.op(call(this.api.POST('/v1/instances/{id}/topics/{name}/partitions', { params: { path }, body: { partitions: c.desired!.partitions }, headers: { 'idempotency-key': this.key(c, 'partitions') } })));
      etag = (data as unknown as { resource: { etag: string } }).resource.etag;
    }
    const rf = c.desired!.replicationFactor !== c.actual!.replicationFactor ? { replicationFactor: c.desired!.replicationFactor } : {};
    if (rf.replicationFactor !== undefined || JSON.stringify(c.desired!.configs) !== JSON.stringify(c.actual!.configs) || JSON.stringify(c.desired!.labels) !== JSON.stringify(c.actual!.labels)) {
      await this.op(call(this.api.PUT('/v1/instances/{id}/topics/{name}', { params: { path }, body: { configs: c.desired!.configs, labels: c.desired!.labels, ...rf }, headers: { 'if-match': etag } })));
    }
  }

  private async user(c: Extract<Change, { kind: 'user' }>) {
    const id = this.idOf(c.instance);
    if (c.action === 'delete' || c.action === 'replace') {
      await this.op(call(this.api.DELETE('/v1/instances/{id}/users/{key}', { params: { path: { id, key: c.actual!.id } }, headers: { 'if-match': c.actual!.etag } })));
      if (c.action === 'delete') return;
    }
    const d = c.desired!;
    if (c.action === 'update') return this.relabel('/v1/instances/{id}/users/{key}', id, c.actual!, d.labels);
    await this.op(call(this.api.POST('/v1/instances/{id}/users', {
      params: { path: { id } }, body: { name: d.name, password: this.passwords.get(c.address)!, mechanism: d.mechanism, iterations: d.iterations, labels: d.labels }, headers: { 'idempotency-key': this.key(c, 'create') },
    })));
  }

  /** Labels alone (a user's or an ACL's): PATCH with If-Match; nothing for the brokers to do, so no operation to wait for. */
  private async relabel(path: '/v1/instances/{id}/users/{key}' | '/v1/instances/{id}/acls/{key}', id: string, actual: { id: string; etag: string }, labels: Record<string, string> | undefined) {
    await call(this.api.PATCH(path, { params: { path: { id, key: actual.id } }, body: { labels: labels ?? {} }, headers: { 'if-match': actual.etag } }));
  }

  private async acl(c: Extract<Change, { kind: 'acl' }>) {
    const id = this.idOf(c.instance);
    if (c.action === 'delete') {
      await this.op(call(this.api.DELETE('/v1/instances/{id}/acls/{key}', { params: { path: { id, key: c.actual!.id } }, headers: { 'if-match': c.actual!.etag } })));
      return;
    }
    if (c.action === 'update') return this.relabel('/v1/instances/{id}/acls/{key}', id, c.actual!, c.desired!.labels);
    await this.op(call(this.api.POST('/v1/instances/{id}/acls', { params: { path: { id } }, body: c.desired! as never, headers: { 'idempotency-key': this.key(c, 'create') } })));
  }

  private async clientQuota(c: Extract<Change, { kind: 'client-quota' }>) {
    const id = this.idOf(c.instance);
    if (c.action === 'delete') {
      await this.op(call(this.api.DELETE('/v1/instances/{id}/client-quotas/{key}', { params: { path: { id, key: c.actual!.id } }, headers: { 'if-match': c.actual!.etag } })));
      return;
    }
    const d = c.desired!;
    const rates = { ...(d.producerByteRate !== undefined ? { producerByteRate: d.producerByteRate } : {}), ...(d.consumerByteRate !== undefined ? { consumerByteRate: d.consumerByteRate } : {}), ...(d.requestPercentage !== undefined ? { requestPercentage: d.requestPercentage } : {}) };
    if (c.action === 'update') {
      await this.op(call(this.api.PUT('/v1/instances/{id}/client-quotas/{key}', { params: { path: { id, key: c.actual!.id } }, body: { ...rates, labels: d.labels ?? {} }, headers: { 'if-match': c.actual!.etag } })));
      return;
    }
    await this.op(call(this.api.POST('/v1/instances/{id}/client-quotas', {
      params: { path: { id } }, body: { ...(d.user ? { user: d.user } : {}), ...(d.clientId ? { clientId: d.clientId } : {}), ...rates, labels: d.labels ?? {} }, headers: { 'idempotency-key': this.key(c, 'create') },
    })));
  }

  private async groupQuota(c: Extract<Change, { kind: 'consumer-group-quota' }>) {
    const id = this.idOf(c.instance);
    if (c.action === 'delete') {
      await this.op(call(this.api.DELETE('/v1/instances/{id}/consumer-group-quotas/{key}', { params: { path: { id, key: c.actual!.id } }, headers: { 'if-match': c.actual!.etag } })));
      return;
    }
    const d = c.desired!;
    const limits = { ...(d.maxMembers !== undefined ? { maxMembers: d.maxMembers } : {}), ...(d.consumerByteRate !== undefined ? { consumerByteRate: d.consumerByteRate } : {}) };
    if (c.action === 'update') {
      await this.op(call(this.api.PUT('/v1/instances/{id}/consumer-group-quotas/{key}', { params: { path: { id, key: c.actual!.id } }, body: { ...limits, labels: d.labels ?? {} }, headers: { 'if-match': c.actual!.etag } })));
      return;
    }
    await this.op(call(this.api.POST('/v1/instances/{id}/consumer-group-quotas', { params: { path: { id } }, body: { group: d.group, ...limits, labels: d.labels ?? {} }, headers: { 'idempotency-key': this.key(c, 'create') } })));
  }
}

export { STACK_LABEL };
