import { AdminError, KafkaAdminClient } from '@tributary/kafka-admin';
import type { BrokerClusterSpec, BrokerRuntime, ClusterObservation } from '../runtimes/runtime.ts';
import { setCondition } from '../status/conditions.ts';
import { configHash, type DesiredAccess, type DesiredAcl, type DesiredInstance, type DesiredQuota, type InstanceStatus } from './desired-instance.ts';
import { accessBehind, planAccess, type LiveAccess } from './access-plan.ts';
import { clusterSettings } from './cluster-settings.ts';
import { planRoll, underReplicated, type RollPlan } from './roll-plan.ts';
import { rebalanceOnto, type RebalanceOutcome } from './rebalance.ts';
import { nextProgress } from './rebalance-progress.ts';
import { cancelReassignments, holdFor, type RebalanceHold } from './rebalance-hold.ts';
import { THROTTLED_REPLICAS } from './rebalance-throttle.ts';
import { clusterViewLack } from './cluster-view-lack.ts';

/** What one step decided: go on to the next step, or stop here and come back later. */
export type StepOutcome = { next: true } | { next: false; requeueAfterMs: number; reason: string; message: string };

interface StepContext {
  desired: DesiredInstance;
  spec: BrokerClusterSpec;
  runtime: BrokerRuntime;
  observation: ClusterObservation | null;
  status: InstanceStatus;
  now: () => Date;
}

interface Step {
  name: string;
  run(ctx: StepContext): Promise<StepOutcome>;
}

const go: StepOutcome = { next: true };
const wait = (requeueAfterMs: number, reason: string, message: string): StepOutcome => ({ next: false, requeueAfterMs, reason, message });

/**
 * Reconciles one instance as a chain of named steps (the Strimzi way): each step reads the live
 * world, changes what differs, and either hands on or asks to be called again. Running it twice, or
 * after a crash halfway, is harmless: every step is level-based.
 */
export class InstanceReconciler {
  readonly #runtime: BrokerRuntime;
  readonly #now: () => Date;
  /** Where brokers of an instance coordinate (controller, replication); null: standalone brokers only. */
  readonly #etcdEndpoints: string | null;

  /** Bytes per second per broker the operator's own moves are throttled to (null: unthrottled). */
  readonly #throttle: (desired: DesiredInstance) => number | null;

  constructor(runtime: BrokerRuntime, options: { now?: () => Date; etcdEndpoints?: string | null; replicationThrottle?: (desired: DesiredInstance) => number | null } = {}) {
    this.#runtime = runtime;
    this.#now = options.now ?? (() => new Date());
    this.#etcdEndpoints = options.etcdEndpoints ?? null;
    this.#throttle = options.replicationThrottle ?? defaultReplicationThrottle;
  }

  readonly steps: Step[] = [
    {
      name: 'CheckSupported',
      run: async (ctx) => {
        if (ctx.desired.brokers > 1 && !ctx.spec.cluster) {
          ctx.status.conditions = setCondition(ctx.status.conditions, { type: 'NotSupported', status: 'True', reason: 'EtcdNotConfigured', message: `${ctx.desired.brokers} brokers form a replicated cluster coordinated through etcd, and this operator has no etcd (set ETCD_ENDPOINTS); without it only 1-broker instances run` }, ctx.now());
          ctx.status.phase = 'Failed';
          return wait(60_000, 'NotSupported', 'multi-broker instances need etcd');
        }
        ctx.status.conditions = ctx.status.conditions.filter((c) => c.type !== 'NotSupported');
        return go;
      },
    },
    {
      // Brokers are removed only once no partition has a replica on them: their replicas are first
      // moved onto the brokers that stay (rebalance.ts), while producers and consumers go on.
      name: 'DrainBrokers',
      run: async (ctx) => {
        const current = await ctx.runtime.observe(ctx.desired.id);
        const surplus = (current?.brokers ?? []).filter((b) => b.nodeId > ctx.desired.brokers).map((b) => b.nodeId);
        if (surplus.length === 0 || !ctx.spec.cluster) {
          ctx.status.conditions = ctx.status.conditions.filter((c) => c.type !== 'ScaleDownBlocked');
          return go;
        }
        const bootstrap = current!.brokers.filter((b) => b.ready).map((b) => b.address);
        const staying = Array.from({ length: ctx.desired.brokers }, (_, i) => i + 1);
        // Topics the control plane deleted go later in this pass; they are deleted first so nothing of them moves.
        if (ctx.desired.deletedTopics.length > 0) await withAdmin(bootstrap, (admin) => deleteTopics(admin, ctx));
        const outcome = await withAdmin(bootstrap, async (admin) => (await cancelOrHold(admin, ctx)) ?? rebalanceOnto(admin, staying, wantedReplication(ctx.desired), { throttleBytesPerSecond: this.#throttle(ctx.desired) }));
        if (isHold(outcome)) {
          const message = `the drain was cancelled (operation ${outcome.cancelledBy}): brokers ${surplus.join(', ')} stay until the instance or one of its topics changes again`;
          ctx.status.conditions = setCondition(ctx.status.conditions.filter((c) => c.type !== 'Rebalancing'), { type: 'ScaleDownBlocked', status: 'True', reason: 'RebalanceCancelled', message }, ctx.now());
          return wait(60_000, 'ScaleDownBlocked', message);
        }
        return moved(ctx, outcome, 'ScaleDownBlocked', `draining brokers ${surplus.join(', ')} before removing them`);
      },
    },
    {
      name: 'EnsureBrokers',
      run: async (ctx) => {
        ctx.observation = await ctx.runtime.ensureBrokers(ctx.spec);
        return go;
      },
    },
    {
      name: 'WaitForBrokers',
      run: async (ctx) => {
        const obs = (ctx.observation = await ctx.runtime.observe(ctx.desired.id));
        const brokers = obs?.brokers ?? [];
        let ready = brokers.filter((b) => b.ready).length;
        let detail = '';
        if (ctx.spec.cluster && ready === ctx.desired.brokers) {
          // Accepting connections is not enough in a cluster: every broker must answer Metadata that
          // names all brokers of the instance (registered in etcd) and an elected controller.
          const views = await Promise.all(brokers.map((b) => withAdmin([b.address], (admin) => admin.metadata([])).catch(() => null)));
          const lacking = views.map((v, i) => ({ nodeId: brokers[i]!.nodeId, lack: clusterViewLack(v, ctx.desired.brokers) })).filter((x) => x.lack !== null);
          ready = brokers.length - lacking.length;
          // Which broker sees what: the difference between a broker that is not registered and a cluster without a controller.
          if (lacking.length > 0) detail = ` (registered in the cluster with a controller; ${lacking.map((x) => `broker ${x.nodeId} ${x.lack}`).join(', ')})`;
        }
        const healthy = ready === ctx.desired.brokers;
        const message = `${ready} of ${ctx.desired.brokers} brokers ready${detail}`;
        ctx.status.conditions = setCondition(ctx.status.conditions, { type: 'BrokersHealthy', status: healthy ? 'True' : 'False', reason: healthy ? 'AllReady' : 'WaitingForBrokers', message }, ctx.now());
        return healthy ? go : wait(1_000, 'WaitingForBrokers', message);
      },
    },
    {
      name: 'RollBrokerConfig',
      run: async (ctx) => {
        // One broker at a time. In a cluster, a broker is restarted only once every partition is
        // fully replicated again (ISR == replicas) and its restart leaves each of its partitions
        // at least min.insync.replicas in-sync replicas; SIGTERM makes it hand its leaderships over
        // first (controlled shutdown), so producers with retries see no failed request.
        const stale = ctx.observation?.brokers.filter((b) => b.configHash !== ctx.spec.configHash) ?? [];
        const rolling = ctx.status.conditions.some((c) => c.type === 'RollingRestart' && c.status === 'True');
        if (stale.length === 0) {
          // The roll is over once the last restarted broker is back in every ISR.
          if (rolling && ctx.spec.cluster) {
            const under = await withAdmin(ctx.observation!.internalBootstrapServers, async (admin) => underReplicated((await admin.metadata(null)).topics));
            if (under) return wait(1_000, 'WaitingForReplicas', `${under}; the rolling restart ends once every ISR is full`);
          }
          ctx.status.conditions = ctx.status.conditions.filter((c) => c.type !== 'RollingRestart');
          return go;
        }
        let plan: RollPlan = { action: 'restart', nodeId: stale[0]!.nodeId, warnings: [] };
        if (ctx.spec.cluster) {
          plan = await withAdmin(ctx.observation!.internalBootstrapServers, async (admin) => {
            const metadata = await admin.metadata(null);
            const first = planRoll(stale.map((b) => b.nodeId), metadata.topics, new Map());
            if (first.action === 'wait') return first;
            // Topic configs only once a restart is due, and only of the topics the broker holds.
            const minIsr = new Map<string, number>();
            for (const t of metadata.topics.filter((x) => x.partitions.some((p) => p.replicas.includes(first.nodeId)))) {
              const value = (await admin.describeTopicConfigs(t.name).catch(() => null))?.['min.insync.replicas']?.value;
              minIsr.set(t.name, Number(value ?? ctx.spec.brokerConfig['min.insync.replicas'] ?? 1));
            }
            return planRoll(stale.map((b) => b.nodeId), metadata.topics, minIsr);
          });
        }
        if (plan.action === 'wait') return wait(1_000, 'WaitingForReplicas', plan.reason);
        for (const w of plan.warnings) ctx.status.events.push(w);
        ctx.status.events.push(`rolling restart: broker ${plan.nodeId} picks up new settings`);
        ctx.status.conditions = setCondition(ctx.status.conditions, { type: 'RollingRestart', status: 'True', reason: 'InProgress', message: `broker ${plan.nodeId} restarting with new settings; ${stale.length - 1} more after it` }, ctx.now());
        await ctx.runtime.restartBroker(ctx.spec, plan.nodeId);
        return wait(1_000, 'RollingRestart', `broker ${plan.nodeId} restarted with new settings; ${stale.length - 1} to go`);
      },
    },
    {
      name: 'ReconcileTopics',
      run: async (ctx) => {
        await withAdmin(ctx.observation!.internalBootstrapServers, (admin) => reconcileTopics(admin, ctx));
        return go;
      },
    },
    {
      // After a scale-up the new brokers hold nothing, and a changed replication factor needs
      // replicas added or removed: the moves run in the brokers; this step starts them and reports.
      name: 'Rebalance',
      run: async (ctx) => {
        if (!ctx.spec.cluster) return go;
        const all = Array.from({ length: ctx.desired.brokers }, (_, i) => i + 1);
        const outcome = await withAdmin(ctx.observation!.internalBootstrapServers, async (admin) => (await cancelOrHold(admin, ctx)) ?? rebalanceOnto(admin, all, wantedReplication(ctx.desired), { throttleBytesPerSecond: this.#throttle(ctx.desired) }));
        if (isHold(outcome)) {
          // Cancelled: the instance runs as the cancel left it (new brokers may hold less), nothing moves.
          const message = `a rebalance was cancelled (operation ${outcome.cancelledBy}); no data moves until the instance or one of its topics changes again`;
          ctx.status.conditions = setCondition(ctx.status.conditions.filter((c) => c.type !== 'Rebalancing' && c.type !== 'RebalanceBlocked'), { type: 'RebalanceCancelled', status: 'True', reason: 'Cancelled', message }, ctx.now());
          return go;
        }
        ctx.status.conditions = ctx.status.conditions.filter((c) => c.type !== 'RebalanceCancelled');
        return moved(ctx, outcome, 'RebalanceBlocked', 'rebalancing');
      },
    },
    {
      name: 'ReconcileAccess',
      run: async (ctx) => {
        if (!ctx.desired.access) return go;
        // Once: in a cluster the brokers keep SCRAM credentials, ACLs and quotas in etcd, so what one
        // broker is told every broker applies.
        await withAdmin(ctx.observation!.internalBootstrapServers, (admin) => reconcileAccess(admin, ctx, ctx.desired.access!));
        return go;
      },
    },
    {
      // A user's `--wait` (and a client started right after it) must find the change on whichever
      // broker it reaches: the others learn it through etcd's watch a moment after the first, so
      // the change counts as applied once every broker's own view holds it.
      name: 'WaitForAccessOnEveryBroker',
      run: async (ctx) => {
        if (!ctx.desired.access || !ctx.spec.cluster) return go;
        const lagging: string[] = [];
        for (const broker of ctx.observation!.brokers) {
          const behind = await withAdmin([broker.address], async (admin) => accessBehind(ctx.desired.access!, await readAccess(admin))).catch((err: unknown) => `not answering (${err instanceof Error ? err.message : String(err)})`);
          if (behind) lagging.push(`broker ${broker.nodeId}: ${behind}`);
        }
        return lagging.length === 0 ? go : wait(250, 'AccessPropagating', `access applied; waiting for every broker to hold it: ${lagging.join('; ')}`);
      },
    },
  ];

  /** One pass. Returns the new status and, when the work is not finished, when to come back. */
  async reconcile(desired: DesiredInstance, previous: InstanceStatus | null): Promise<{ status: InstanceStatus; requeueAfterMs: number | null }> {
    const status: InstanceStatus = previous ? { ...previous, events: [] } : { phase: 'Creating', observedGeneration: 0, internalBootstrapServers: [], clientBootstrapServers: [], brokers: [], conditions: [], events: [] };
    // A finished move was reported with the last pass (its operations read it then): forget it.
    if (status.rebalance?.finished) status.rebalance = null;
    if (desired.deleting) {
      await this.#runtime.deleteCluster(desired.id);
      return { status: { ...status, phase: 'Deleted', internalBootstrapServers: [], clientBootstrapServers: [], brokers: [], observedGeneration: desired.generation }, requeueAfterMs: null };
    }
    const cluster = this.#etcdEndpoints ? { etcdEndpoints: this.#etcdEndpoints, clusterId: desired.id } : null;
    const brokerConfig = cluster ? clusterSettings(desired.brokers, desired.brokerConfig) : desired.brokerConfig;
    const ctx: StepContext = {
      desired,
      spec: { instanceId: desired.id, brokers: desired.brokers, brokerConfig, configHash: configHash(brokerConfig, this.#runtime.listenerLayout), cluster, ...(desired.size ? { size: desired.size } : {}) },
      runtime: this.#runtime,
      observation: null,
      status,
      now: this.#now,
    };
    ctx.status.conditions = setCondition(ctx.status.conditions, { type: 'Reconciling', status: 'True', reason: 'InProgress', message: `generation ${desired.generation}` }, ctx.now());
    for (const step of this.steps) {
      let outcome: StepOutcome;
      try {
        outcome = await step.run(ctx);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        ctx.status.conditions = setCondition(ctx.status.conditions, { type: 'Ready', status: 'False', reason: `${step.name}Failed`, message }, ctx.now());
        this.#fillBrokers(ctx);
        throw Object.assign(new Error(`${step.name}: ${message}`), { status: ctx.status });
      }
      if (!outcome.next) {
        ctx.status.conditions = setCondition(ctx.status.conditions, { type: 'Ready', status: 'False', reason: outcome.reason, message: outcome.message }, ctx.now());
        if (ctx.status.phase !== 'Failed') ctx.status.phase = previous?.phase === 'Running' ? 'Updating' : 'Creating';
        this.#fillBrokers(ctx);
        return { status: ctx.status, requeueAfterMs: outcome.requeueAfterMs };
      }
    }
    ctx.status.phase = 'Running';
    ctx.status.observedGeneration = desired.generation;
    ctx.status.conditions = setCondition(ctx.status.conditions, { type: 'Ready', status: 'True', reason: 'Running', message: `${desired.brokers} broker(s) ready` }, ctx.now());
    ctx.status.conditions = setCondition(ctx.status.conditions, { type: 'Reconciling', status: 'False', reason: 'Done', message: `generation ${desired.generation} applied` }, ctx.now());
    this.#fillBrokers(ctx);
    return { status: ctx.status, requeueAfterMs: null };
  }

  #fillBrokers(ctx: StepContext): void {
    if (!ctx.observation) return;
    ctx.status.internalBootstrapServers = ctx.observation.internalBootstrapServers;
    ctx.status.clientBootstrapServers = ctx.observation.clientBootstrapServers;
    ctx.status.clientSecurityProtocol = ctx.observation.clientSecurityProtocol;
    ctx.status.brokers = ctx.observation.brokers.map((b) => ({ nodeId: b.nodeId, address: b.address, ready: b.ready, restarts: b.restarts }));
  }
}

/**
 * Moves copy at most half the instance's sold bandwidth on each broker, so its clients keep the
 * other half while data moves (bytes per second; unthrottled without a sold size).
 */
export function defaultReplicationThrottle(desired: DesiredInstance): number | null {
  return desired.size ? Math.floor((desired.size.bandwidthMBps * 1_000_000) / 2) : null;
}

/**
 * The replication factor the control plane wants per topic (changed in place by moving replicas);
 * `__consumer_offsets` follows the instance's size as its setting does (min(3, brokers)), so a
 * scale-down to 2 brokers can drain it too.
 */
function wantedReplication(desired: DesiredInstance): Map<string, number> {
  return new Map([...desired.topics.map((t) => [t.name, t.replicationFactor] as const), ['__consumer_offsets', Math.min(3, desired.brokers)]]);
}

/**
 * Cancels the moves in flight when the API asked to (once per pass), then answers the hold in force
 * (no moves to start), or null when data may move. A hold whose key a later change replaced is dropped.
 */
async function cancelOrHold(admin: KafkaAdminClient, ctx: StepContext): Promise<RebalanceHold | null> {
  const key = ctx.desired.placementKey ?? '';
  const cancels = ctx.desired.rebalanceCancels ?? [];
  if (cancels.length > 0 && !ctx.status.cancelled) {
    const result = await cancelReassignments(admin, cancels);
    ctx.status.cancelled = result;
    ctx.status.events.push(`rebalance cancelled (operation ${cancels.join(', ')}): ${result.message}`);
    if (result.partitions > 0) {
      ctx.status.rebalanceHold = { key, cancelledBy: cancels[0]!, at: ctx.now().toISOString() };
      ctx.status.rebalance = null;
    }
  }
  const hold = holdFor(ctx.status.rebalanceHold, key);
  if (!hold) ctx.status.rebalanceHold = null;
  return hold;
}

const isHold = (o: RebalanceOutcome | RebalanceHold): o is RebalanceHold => 'cancelledBy' in o;

/**
 * Status for a look at data placement: `Rebalancing` (with progress) while moves run, a
 * `blockedType` condition when the brokers cannot hold the data, nothing once balanced.
 */
function moved(ctx: StepContext, outcome: RebalanceOutcome, blockedType: string, what: string): StepOutcome {
  ctx.status.rebalance = nextProgress(ctx.status.rebalance ?? null, outcome, ctx.now());
  if (outcome.state === 'balanced') {
    ctx.status.conditions = ctx.status.conditions.filter((c) => c.type !== blockedType && c.type !== 'Rebalancing');
    return go;
  }
  if (outcome.state === 'blocked') {
    ctx.status.conditions = setCondition(ctx.status.conditions, { type: blockedType, status: 'True', reason: 'CannotPlace', message: outcome.message }, ctx.now());
    return wait(60_000, blockedType, `${what}: ${outcome.message}`);
  }
  if (outcome.started) ctx.status.events.push(`${what}: ${outcome.message}`);
  ctx.status.conditions = setCondition(ctx.status.conditions.filter((c) => c.type !== blockedType), { type: 'Rebalancing', status: 'True', reason: 'MovingReplicas', message: outcome.message }, ctx.now());
  return wait(1_000, 'Rebalancing', `${what}: ${outcome.message}`);
}

/** Runs `work` with an admin client on the first of `bootstrap` that accepts a connection. */
async function withAdmin<T>(bootstrap: string[], work: (admin: KafkaAdminClient) => Promise<T>): Promise<T> {
  let lastError: unknown = new Error('no broker address to connect to');
  for (const address of bootstrap) {
    let admin: KafkaAdminClient;
    try {
      admin = await KafkaAdminClient.connect(address, { clientId: 'tributary-operator', timeoutMs: 10_000 });
    } catch (err) {
      lastError = err;
      continue;
    }
    try {
      return await work(admin);
    } finally {
      admin.close();
    }
  }
  throw lastError;
}

/** The SCRAM users (name → mechanisms), ACLs and quotas one broker describes. */
async function readAccess(admin: KafkaAdminClient): Promise<LiveAccess> {
  const described = await admin.describeUserScramCredentials(null);
  const users = new Map([...described].flatMap(([user, r]) => (r instanceof AdminError ? [] : [[user, r.map((c) => c.mechanism as string)]])));
  return { users, acls: (await admin.describeAcls()) as DesiredAcl[], quotas: (await admin.describeClientQuotas()) as DesiredQuota[] };
}

/** SCRAM users, ACLs and quotas made equal to the control plane's, through the admin protocol. */
async function reconcileAccess(admin: KafkaAdminClient, ctx: StepContext, desired: DesiredAccess): Promise<void> {
  const live = await readAccess(admin);
  const plan = planAccess(desired, live);
  for (const name of plan.skippedUsers) ctx.status.events.push(`user ${name}: no salted credential recorded; recreate it through the API to apply it`);
  const upserts = plan.upsertUsers.map((u) => ({ user: u.name, mechanism: u.mechanism, iterations: u.iterations, salt: Buffer.from(u.salt!, 'base64'), saltedPassword: Buffer.from(u.saltedPassword!, 'base64') }));
  // Kafka refuses a user named twice in one request, so each user goes in its own.
  for (const u of upserts) throwFirst(await admin.upsertScramCredentials([u]));
  for (const d of plan.deleteUsers) {
    throwFirst(await admin.upsertScramCredentials([], [{ user: d.user, mechanism: d.mechanism as 'SCRAM-SHA-256' | 'SCRAM-SHA-512' }]));
    ctx.status.events.push(`user ${d.user} (${d.mechanism}) removed: not in the control plane`);
  }
  for (const u of desired.users) if (!live.users.has(u.name) && !plan.skippedUsers.includes(u.name)) ctx.status.events.push(`user ${u.name} applied`);
  if (plan.createAcls.length > 0) {
    const errors = (await admin.createAcls(plan.createAcls)).filter((e) => e !== null);
    if (errors.length > 0) throw errors[0]!;
    ctx.status.events.push(`${plan.createAcls.length} ACL(s) applied`);
  }
  if (plan.deleteAcls.length > 0) {
    await admin.deleteAcls(plan.deleteAcls.map((a) => ({ ...a })));
    ctx.status.events.push(`${plan.deleteAcls.length} ACL(s) removed: not in the control plane`);
  }
  for (const change of plan.quotaChanges) {
    await admin.alterClientQuotas(change.entity, change.values);
    ctx.status.events.push(`quota ${JSON.stringify(change.entity)}: ${Object.keys(change.values).join(', ')} set`);
  }
}

function throwFirst(results: Map<string, AdminError | null>): void {
  for (const err of results.values()) if (err) throw err;
}

/** Creates missing topics, grows partitions, puts configs back, deletes deleted topics; records each drift. */
async function reconcileTopics(admin: KafkaAdminClient, ctx: StepContext): Promise<void> {
  const live = new Map((await admin.metadata(null)).topics.filter((t) => !t.internal).map((t) => [t.name, t]));
  const missing = ctx.desired.topics.filter((t) => !live.has(t.name));
  if (missing.length > 0) {
    const results = await admin.createTopics(missing.map((t) => ({ name: t.name, partitions: t.partitions, replicationFactor: t.replicationFactor, configs: t.configs })));
    for (const [name, err] of results) {
      if (err && err.errorName !== 'TOPIC_ALREADY_EXISTS') throw err;
      ctx.status.events.push(`topic ${name} created`);
    }
  }
  for (const topic of ctx.desired.topics) {
    const current = live.get(topic.name);
    if (current && current.partitions.length < topic.partitions) {
      await admin.createPartitions(topic.name, topic.partitions);
      ctx.status.events.push(`topic ${topic.name}: partitions ${current.partitions.length} → ${topic.partitions}`);
    }
    if (!current) continue;
    const configs = await admin.describeTopicConfigs(topic.name);
    const changes: Record<string, string | null> = {};
    for (const [name, value] of Object.entries(topic.configs)) if (configs[name]?.value !== value || configs[name]?.isDefault) changes[name] = value;
    // The throttled-replicas settings are the Rebalance step's while it moves data (rebalance-throttle.ts; the API refuses them).
    for (const [name, entry] of Object.entries(configs)) if (!entry.isDefault && !(name in topic.configs) && !(THROTTLED_REPLICAS as readonly string[]).includes(name)) changes[name] = null;
    if (Object.keys(changes).length > 0) {
      await admin.alterTopicConfigs(topic.name, changes);
      ctx.status.events.push(`topic ${topic.name}: configs put back (${Object.keys(changes).join(', ')})`);
    }
  }
  await deleteTopics(admin, ctx, live);
}

/** Deletes the topics the control plane deleted that still exist. */
async function deleteTopics(admin: KafkaAdminClient, ctx: StepContext, live?: ReadonlyMap<string, unknown>): Promise<void> {
  const existing = live ?? new Map((await admin.metadata(null)).topics.map((t) => [t.name, t]));
  for (const name of ctx.desired.deletedTopics) {
    if (!existing.has(name)) continue;
    const err = (await admin.deleteTopics([name])).get(name);
    if (err && !(err instanceof AdminError && err.errorName === 'UNKNOWN_TOPIC_OR_PARTITION')) throw err;
    ctx.status.events.push(`topic ${name} deleted`);
  }
}
