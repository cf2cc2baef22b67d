import { AdminError, KafkaAdminClient } from '@tributary/kafka-admin';
import type { BrokerClusterSpec, BrokerRuntime, ClusterObservation } from '../runtimes/runtime.ts';
import { setCondition } from '../status/conditions.ts';
import { configHash, type DesiredAccess, type DesiredAcl, type DesiredInstance, type DesiredQuota, type InstanceStatus } from './desired-instance.ts';
import { planAccess, type LiveAccess } from './access-plan.ts';

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
  /** Multi-broker instances need replication and a controller, which the broker does not have yet. */
  readonly #maxBrokers: number;

  constructor(runtime: BrokerRuntime, options: { now?: () => Date; maxBrokers?: number } = {}) {
    this.#runtime = runtime;
    this.#now = options.now ?? (() => new Date());
    this.#maxBrokers = options.maxBrokers ?? 1;
  }

  readonly steps: Step[] = [
    {
      name: 'CheckSupported',
      run: async (ctx) => {
        if (ctx.desired.brokers > this.#maxBrokers) {
          ctx.status.conditions = setCondition(ctx.status.conditions, { type: 'NotSupported', status: 'True', reason: 'ReplicationNotAvailable', message: `${ctx.desired.brokers} brokers need broker replication, which is not built yet; at most ${this.#maxBrokers} is supported` }, ctx.now());
          ctx.status.phase = 'Failed';
          return wait(60_000, 'NotSupported', 'instance shape not supported yet');
        }
        ctx.status.conditions = ctx.status.conditions.filter((c) => c.type !== 'NotSupported');
        return go;
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
        const ready = obs?.brokers.filter((b) => b.ready).length ?? 0;
        const healthy = ready === ctx.desired.brokers;
        ctx.status.conditions = setCondition(ctx.status.conditions, { type: 'BrokersHealthy', status: healthy ? 'True' : 'False', reason: healthy ? 'AllReady' : 'WaitingForBrokers', message: `${ready} of ${ctx.desired.brokers} brokers ready` }, ctx.now());
        return healthy ? go : wait(1_000, 'WaitingForBrokers', `${ready} of ${ctx.desired.brokers} brokers ready`);
      },
    },
    {
      name: 'RollBrokerConfig',
      run: async (ctx) => {
        // One broker at a time, waiting for it to be ready again before the next.
        const stale = ctx.observation?.brokers.find((b) => b.configHash !== ctx.spec.configHash);
        if (!stale) return go;
        ctx.status.events.push(`rolling restart: broker ${stale.nodeId} picks up new settings`);
        await ctx.runtime.restartBroker(ctx.spec, stale.nodeId);
        return wait(500, 'RollingRestart', `broker ${stale.nodeId} restarted with new settings`);
      },
    },
    {
      name: 'ReconcileTopics',
      run: async (ctx) => {
        const admin = await KafkaAdminClient.connect(ctx.observation!.bootstrapServers[0]!, { clientId: 'tributary-operator' });
        try {
          await reconcileTopics(admin, ctx);
        } finally {
          admin.close();
        }
        return go;
      },
    },
    {
      name: 'ReconcileAccess',
      run: async (ctx) => {
        if (!ctx.desired.access) return go;
        const admin = await KafkaAdminClient.connect(ctx.observation!.bootstrapServers[0]!, { clientId: 'tributary-operator' });
        try {
          await reconcileAccess(admin, ctx, ctx.desired.access);
        } finally {
          admin.close();
        }
        return go;
      },
    },
  ];

  /** One pass. Returns the new status and, when the work is not finished, when to come back. */
  async reconcile(desired: DesiredInstance, previous: InstanceStatus | null): Promise<{ status: InstanceStatus; requeueAfterMs: number | null }> {
    const status: InstanceStatus = previous ? { ...previous, events: [] } : { phase: 'Creating', observedGeneration: 0, bootstrapServers: [], saslBootstrapServers: [], brokers: [], conditions: [], events: [] };
    if (desired.deleting) {
      await this.#runtime.deleteCluster(desired.id);
      return { status: { ...status, phase: 'Deleted', bootstrapServers: [], saslBootstrapServers: [], brokers: [], observedGeneration: desired.generation }, requeueAfterMs: null };
    }
    const ctx: StepContext = {
      desired,
      spec: { instanceId: desired.id, brokers: desired.brokers, brokerConfig: desired.brokerConfig, configHash: configHash(desired.brokerConfig) },
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
    ctx.status.bootstrapServers = ctx.observation.bootstrapServers;
    ctx.status.saslBootstrapServers = ctx.observation.saslBootstrapServers;
    ctx.status.brokers = ctx.observation.brokers.map((b) => ({ nodeId: b.nodeId, address: b.address, ready: b.ready, restarts: b.restarts }));
  }
}

/** SCRAM users, ACLs and quotas made equal to the control plane's, through the admin protocol. */
async function reconcileAccess(admin: KafkaAdminClient, ctx: StepContext, desired: DesiredAccess): Promise<void> {
  const described = await admin.describeUserScramCredentials(null);
  const users = new Map([...described].flatMap(([user, r]) => (r instanceof AdminError ? [] : [[user, r.map((c) => c.mechanism as string)]])));
  const live: LiveAccess = { users, acls: (await admin.describeAcls()) as DesiredAcl[], quotas: (await admin.describeClientQuotas()) as DesiredQuota[] };
  const plan = planAccess(desired, live);
  for (const name of plan.skippedUsers) ctx.status.events.push(`user ${name}: no salted credential recorded; recreate it through the API to apply it`);
  const upserts = plan.upsertUsers.map((u) => ({ user: u.name, mechanism: u.mechanism, iterations: u.iterations, salt: Buffer.from(u.salt!, 'base64'), saltedPassword: Buffer.from(u.saltedPassword!, 'base64') }));
  // Kafka refuses a user named twice in one request, so each user goes in its own.
  for (const u of upserts) throwFirst(await admin.upsertScramCredentials([u]));
  for (const d of plan.deleteUsers) {
    throwFirst(await admin.upsertScramCredentials([], [{ user: d.user, mechanism: d.mechanism as 'SCRAM-SHA-256' | 'SCRAM-SHA-512' }]));
    ctx.status.events.push(`user ${d.user} (${d.mechanism}) removed: not in the control plane`);
  }
  for (const u of desired.users) if (!users.has(u.name) && !plan.skippedUsers.includes(u.name)) ctx.status.events.push(`user ${u.name} applied`);
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
    for (const [name, entry] of Object.entries(configs)) if (!entry.isDefault && !(name in topic.configs)) changes[name] = null;
    if (Object.keys(changes).length > 0) {
      await admin.alterTopicConfigs(topic.name, changes);
      ctx.status.events.push(`topic ${topic.name}: configs put back (${Object.keys(changes).join(', ')})`);
    }
  }
  for (const name of ctx.desired.deletedTopics) {
    if (!live.has(name)) continue;
    const err = (await admin.deleteTopics([name])).get(name);
    if (err && !(err instanceof AdminError && err.errorName === 'UNKNOWN_TOPIC_OR_PARTITION')) throw err;
    ctx.status.events.push(`topic ${name} deleted`);
  }
}
