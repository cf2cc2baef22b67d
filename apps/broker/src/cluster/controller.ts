import { randomUUID } from 'node:crypto';
import type { Namespace } from 'etcd3';
import { ErrorCode } from '@tributary/protocol';
import type { Logger } from '../logger.ts';
import { TopicError, topicNameProblem, type TopicRegistry, type TopicState } from '../topics/topic-registry.ts';
import type { BrokerRegistration } from './broker-registration.ts';
import type { NewTopic, OngoingMove, PartitionMove, PartitionResult } from './cluster-metadata.ts';
import { keys, type ClusterView, type PartitionRecord, type TopicRecord } from './cluster-view.ts';
import { effectiveMinIsr, planPartitionChanges, type PartitionChange } from './controller-plan.ts';
import { electFor, ElectionType } from './elect-leaders.ts';
import { OPS_PER_TXN, type EtcdMetadataStore } from './metadata-store.ts';
import { withElr } from './partition-change.ts';
import { checkReplicationFactor, completion, parseReassignmentKey, planRequest, REASSIGNMENTS_PREFIX, reassignmentKey, validateTarget, type ReassignmentRecord } from './reassignment.ts';
import { assignReplicas } from './replica-assignment.ts';

export interface ControllerOptions {
  store: EtcdMetadataStore;
  registration: BrokerRegistration;
  nodeId: number;
  topics: TopicRegistry;
  logger: Logger;
  uncleanLeaderElection: boolean;
  /** The broker default min.insync.replicas: below it (per topic) replicas leaving an ISR go into the ELR (KIP-966). */
  minInsyncReplicas: number;
  /** How often the controller moves leadership back to preferred replicas; 0 disables it. */
  leaderRebalanceIntervalMs: number;
}

/**
 * The controller, as ZooKeeper-era Kafka's was: elected by creating the leased `controller` key
 * only if absent (its create revision is the controller epoch, and every controller write is a
 * transaction guarded by it, so a deposed controller cannot write), it creates, grows and deletes
 * topics, elects leaders after brokers fail or shut down (controller-plan.ts), moves leadership back
 * to preferred replicas, and carries partition reassignments (reassignment.ts) and ElectLeaders.
 * Passes never overlap; a change during a pass triggers another.
 */
export class Controller {
  readonly #o: ControllerOptions;
  #epoch: string | null = null;
  #running = false;
  #dirty = false;
  #stopped = false;
  /** Until the view is loaded, decisions wait (start() runs a pass then). */
  #viewLoaded = false;
  #rebalanceTimer: NodeJS.Timeout | null = null;

  constructor(options: ControllerOptions) {
    this.#o = options;
  }

  get view(): ClusterView {
    return this.#o.store.view;
  }

  #ns() {
    return this.#o.store.ns;
  }

  get isController(): boolean {
    return this.#epoch !== null && this.view.controller?.nodeId === this.#o.nodeId;
  }

  /** The view is loaded: passes may run, and the preferred-leader timer starts. */
  viewLoaded(): void {
    this.#viewLoaded = true;
    if (this.#o.leaderRebalanceIntervalMs > 0) {
      this.#rebalanceTimer = setInterval(() => void this.run(true), Math.min(this.#o.leaderRebalanceIntervalMs, 2 ** 31 - 1)); // Node runs a longer interval every 1 ms (timer-delay.ts)
      this.#rebalanceTimer.unref();
    }
  }

  /** The `controller` key changed: whoever holds it now, this broker is not the controller of another epoch; a deleted key is campaigned for. */
  noteControllerKey(deleted: boolean): void {
    // Another broker's key (or none): whatever we believed, we are not the controller of that epoch.
    if (this.view.controller?.epoch !== this.#epoch) this.#epoch = null;
    if (deleted && this.#o.registration.leaseId) void this.campaign().catch(() => undefined);
  }

  /** The lease under which the key was held is gone. */
  leaseLost(): void {
    this.#epoch = null;
  }

  /** Controlled shutdown: give the role up (delete the key if it is still ours) so another broker takes it. */
  async resign(): Promise<void> {
    if (!this.isController) return;
    this.#epoch = null;
    await this.#ns().if(keys.controller, 'Lease', '==', this.#o.registration.leaseId).then(this.#ns().delete().key(keys.controller)).commit();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#rebalanceTimer) clearInterval(this.#rebalanceTimer);
  }

  async campaign(): Promise<void> {
    if (this.#o.registration.leaving) return;
    const res = await this.#ns()
      .if(keys.controller, 'Create', '==', 0)
      .then(this.#ns().put(keys.controller).value(JSON.stringify({ nodeId: this.#o.nodeId })).lease(this.#o.registration.leaseId))
      .commit();
    if (res.succeeded) {
      this.#epoch = res.header.revision;
      this.#o.logger.log('info', 'elected controller', { controllerEpoch: this.#epoch });
      void this.run(false);
    }
  }

  requireController(): string {
    if (!this.isController || this.#epoch === null) throw new TopicError(ErrorCode.NOT_CONTROLLER, `broker ${this.#o.nodeId} is not the controller (controller: ${this.view.controller?.nodeId ?? -1})`);
    return this.#epoch;
  }

  async createTopic(topic: NewTopic, validateOnly: boolean): Promise<TopicState> {
    const epoch = this.requireController();
    const problem = topicNameProblem(topic.name);
    if (problem) throw new TopicError(ErrorCode.INVALID_TOPIC_EXCEPTION, problem);
    if (this.view.topics.has(topic.name)) throw new TopicError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${topic.name}' already exists.`);
    const live = [...this.view.brokers.values()].filter((b) => !b.shuttingDown).map((b) => ({ id: b.nodeId, rack: b.rack }));
    const assignment = topic.assignment ? { ok: true as const, replicas: topic.assignment } : assignReplicas(live, topic.partitions, topic.replicationFactor);
    if (!assignment.ok) {
      const code = assignment.error.code === 'INVALID_PARTITIONS' ? ErrorCode.INVALID_PARTITIONS : ErrorCode.INVALID_REPLICATION_FACTOR;
      throw new TopicError(code, assignment.error.code === 'INVALID_REPLICATION_FACTOR' && topic.replicationFactor > live.length ? `replication factor ${topic.replicationFactor} is larger than the ${live.length} available brokers` : assignment.error.message);
    }
    const record: TopicRecord = { name: topic.name, topicId: randomUUID(), configs: topic.configs, replicas: assignment.replicas.map((r) => [...r]) };
    const state = { name: record.name, topicId: record.topicId, partitions: record.replicas.length, configs: record.configs };
    if (validateOnly) return state;
    // The partitions' states and the topic record in one transaction when they fit in one (etcd's
    // --max-txn-ops), else the partitions first: brokers act on a topic only once its record exists.
    const inline = await this.#writePartitions(epoch, topic.name, record.replicas, 0);
    const res = await this.#guarded(epoch).and(keys.topic(topic.name), 'Version', '==', 0).then(this.#ns().put(keys.topic(topic.name)).value(JSON.stringify(record)), ...inline).commit();
    if (!res.succeeded) {
      if (!this.isController) throw new TopicError(ErrorCode.NOT_CONTROLLER, 'this broker stopped being the controller');
      throw new TopicError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${topic.name}' already exists.`);
    }
    // Answered once this broker's view names the topic and its leaders (Metadata here answers from
    // it) and its own logs exist, as Kafka answers once the metadata is committed; every broker makes
    // its logs as it learns of the topic, their directory syncs in the background (LogManager.getOrCreate).
    await this.#o.store.waitForView(() => this.#o.topics.get(topic.name)?.topicId === record.topicId);
    this.#o.logger.log('info', 'topic created', { topic: topic.name, partitions: state.partitions, replicationFactor: topic.replicationFactor });
    return state;
  }

  /**
   * The initial states of partitions `first`.. of a topic (leader: the first live replica, the whole
   * replica set in sync). When they fit in one transaction beside the topic record, they are returned
   * for the caller's transaction; otherwise they are written here in transactions of OPS_PER_TXN
   * (guarded by the controller epoch) and nothing is returned.
   */
  async #writePartitions(epoch: string, name: string, replicas: number[][], first: number): Promise<ReturnType<Namespace['put']>[]> {
    const live = this.view.liveBrokers();
    const puts = replicas.slice(first).map((r, i) => {
      const value: PartitionRecord = { leader: r.find((id) => live.has(id)) ?? -1, leaderEpoch: 0, isr: [...r] };
      return this.#ns().put(keys.partition(name, first + i)).value(JSON.stringify(value));
    });
    if (puts.length < OPS_PER_TXN) return puts;
    for (let start = 0; start < puts.length; start += OPS_PER_TXN) {
      const res = await this.#guarded(epoch).then(...puts.slice(start, start + OPS_PER_TXN)).commit();
      if (!res.succeeded) throw new TopicError(ErrorCode.NOT_CONTROLLER, 'this broker stopped being the controller');
    }
    return [];
  }

  async deleteTopic(name: string): Promise<void> {
    const epoch = this.requireController();
    if (!this.view.topics.has(name)) throw new TopicError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic "${name}" does not exist`);
    if (name.startsWith('__')) throw new TopicError(ErrorCode.INVALID_TOPIC_EXCEPTION, `internal topic "${name}" cannot be deleted`);
    const res = await this.#guarded(epoch).then(this.#ns().delete().key(keys.topic(name)), this.#ns().delete().prefix(keys.partitions(name)), this.#ns().delete().prefix(`${REASSIGNMENTS_PREFIX}${name}/`)).commit();
    if (!res.succeeded) throw new TopicError(ErrorCode.NOT_CONTROLLER, 'this broker stopped being the controller');
    await this.#o.store.waitForView(() => !this.#o.topics.get(name));
  }

  async addPartitions(name: string, count: number, validateOnly: boolean, assignment?: number[][]): Promise<void> {
    const epoch = this.requireController();
    const t = this.view.topics.get(name);
    if (!t) throw new TopicError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic "${name}" does not exist`);
    const current = t.value.replicas.length;
    if (count <= current) throw new TopicError(ErrorCode.INVALID_PARTITIONS, `topic "${name}" has ${current} partitions; the new count ${count} must be larger`);
    const live = [...this.view.brokers.values()].filter((b) => !b.shuttingDown).map((b) => ({ id: b.nodeId, rack: b.rack }));
    const added = assignment ? { ok: true as const, replicas: assignment } : assignReplicas(live, count - current, t.value.replicas[0]!.length, current);
    if (!added.ok) throw new TopicError(added.error.code === 'INVALID_PARTITIONS' ? ErrorCode.INVALID_PARTITIONS : ErrorCode.INVALID_REPLICATION_FACTOR, added.error.message);
    if (validateOnly) return;
    const replicas = [...t.value.replicas, ...added.replicas.map((r) => [...r])];
    const inline = await this.#writePartitions(epoch, name, replicas, current);
    const res = await this.#guarded(epoch).and(keys.topic(name), 'Mod', '==', t.modRevision).then(this.#ns().put(keys.topic(name)).value(JSON.stringify({ ...t.value, replicas })), ...inline).commit();
    if (!res.succeeded) throw new TopicError(ErrorCode.REASSIGNMENT_IN_PROGRESS, `topic "${name}" changed meanwhile; retry`);
    await this.#o.store.waitForView(() => this.#o.topics.get(name)?.partitions === count);
  }

  /** One controller pass; passes never overlap, and a change during a pass triggers another. */
  async run(preferredLeaders: boolean): Promise<void> {
    // Elected during start() before the view is loaded: decisions wait for the loaded view (start() runs us then).
    if (!this.isController || this.#stopped || !this.#viewLoaded) return;
    if (this.#running) {
      this.#dirty = true;
      return;
    }
    this.#running = true;
    try {
      do {
        this.#dirty = false;
        const epoch = this.#epoch;
        if (!epoch || !this.isController) return;
        const changes = planPartitionChanges(this.view, { uncleanLeaderElection: this.#o.uncleanLeaderElection, preferredLeaders, minInsyncReplicas: this.#o.minInsyncReplicas });
        preferredLeaders = false;
        await this.#progressReassignments(epoch);
        await this.#writeChanges(epoch, changes);
        if (this.#dirty) await new Promise((r) => setTimeout(r, 20));
      } while (this.#dirty && !this.#stopped);
    } catch (err) {
      this.#o.logger.log('warn', 'controller pass failed', { error: err instanceof Error ? err.message : String(err) });
      if (!this.#stopped) setTimeout(() => void this.run(false), 500).unref();
    } finally {
      this.#running = false;
    }
  }

  /**
   * Writes a pass's partition changes in transactions of up to OPS_PER_TXN partitions, each guarded
   * by the controller epoch and every partition's revision: after a broker holding thousands of
   * partitions dies, one write (and one watch event on every broker) per partition kept etcd and the
   * brokers busy for tens of seconds, long enough for the survivors to lose their leases (issue 13).
   * A batch whose guard fails (a leader's ISR write came between) is written partition by partition,
   * and those that still fail are planned again from the new view.
   */
  async #writeChanges(epoch: string, changes: PartitionChange[]): Promise<void> {
    const write = (batch: PartitionChange[]) => {
      let guard = this.#guarded(epoch);
      for (const c of batch) guard = guard.and(keys.partition(c.topic, c.partition), 'Mod', '==', c.modRevision);
      return guard.then(...batch.map((c) => this.#ns().put(keys.partition(c.topic, c.partition)).value(JSON.stringify(c.next)))).commit();
    };
    const written = (batch: PartitionChange[]) => {
      for (const c of batch) this.#o.logger.log('info', 'partition state changed', { topic: c.topic, partition: c.partition, reason: c.reason, leader: c.next.leader, leaderEpoch: c.next.leaderEpoch, isr: c.next.isr, elr: c.next.elr ?? [], lastKnownElr: c.next.lastKnownElr ?? [] });
    };
    const batches: PartitionChange[][] = [];
    for (let i = 0; i < changes.length; i += OPS_PER_TXN) batches.push(changes.slice(i, i + OPS_PER_TXN));
    await Promise.all(
      batches.map(async (batch) => {
        if ((await write(batch)).succeeded) return written(batch);
        if (!this.isController || batch.length === 1) {
          this.#dirty = true;
          return;
        }
        await Promise.all(
          batch.map(async (c) => {
            if ((await write([c])).succeeded) written([c]);
            else this.#dirty = true; // the key moved (an ISR write): plan again from the new view
          }),
        );
      }),
    );
  }

  reassignments(): OngoingMove[] {
    const out: OngoingMove[] = [];
    for (const [rest, value] of this.view.under(REASSIGNMENTS_PREFIX)) {
      const at = parseReassignmentKey(rest);
      if (at) out.push({ ...at, ...(JSON.parse(value) as ReassignmentRecord) });
    }
    return out;
  }

  #ongoing(topic: string, partition: number): ReassignmentRecord | undefined {
    const raw = this.view.raw.get(reassignmentKey(topic, partition));
    return raw === undefined ? undefined : (JSON.parse(raw) as ReassignmentRecord);
  }

  /**
   * Starts, replaces or cancels reassignments (reassignment.ts): per topic one transaction that
   * writes the moving replica sets into the topic record and the reassignment records beside it,
   * guarded by the controller epoch and the revisions it was planned from (re-planned on a race).
   */
  async alterReassignments(moves: PartitionMove[], allowReplicationFactorChange = true): Promise<PartitionResult[]> {
    const epoch = this.requireController();
    const results: PartitionResult[] = [];
    const byTopic = new Map<string, PartitionMove[]>();
    for (const m of moves) byTopic.set(m.topic, [...(byTopic.get(m.topic) ?? []), m]);
    for (const [topic, topicMoves] of byTopic) {
      for (let attempt = 0; ; attempt++) {
        const t = this.view.topics.get(topic);
        const planned: { move: PartitionMove; result: PartitionResult }[] = [];
        const registered = new Set(this.view.brokers.keys());
        const live = this.view.liveBrokers();
        const replicas = t ? t.value.replicas.map((r) => [...r]) : [];
        const ops = [];
        let guard = this.#guarded(epoch);
        for (const m of topicMoves) {
          const result: PartitionResult = { topic, partition: m.partition, errorCode: 0, message: null };
          planned.push({ move: m, result });
          const current = replicas[m.partition];
          const p = this.view.partitions.get(`${topic}/${m.partition}`);
          if (!t || !current || !p) {
            Object.assign(result, { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: `Unable to find partition ${topic}-${m.partition}.` });
            continue;
          }
          const ongoing = this.#ongoing(topic, m.partition);
          const refusal = m.replicas ? (validateTarget(m.replicas, registered) ?? (allowReplicationFactorChange ? null : checkReplicationFactor(current, ongoing, m.replicas))) : null;
          const outcome = refusal ? { kind: 'refused' as const, refusal } : planRequest(current, ongoing, m.replicas, p.value, live);
          if (outcome.kind === 'refused') {
            Object.assign(result, { errorCode: outcome.refusal.errorCode, message: outcome.refusal.message });
            continue;
          }
          replicas[m.partition] = outcome.replicas;
          const rKey = reassignmentKey(topic, m.partition);
          ops.push(outcome.record ? this.#ns().put(rKey).value(JSON.stringify(outcome.record)) : this.#ns().delete().key(rKey));
          if (outcome.partition) {
            guard = guard.and(keys.partition(topic, m.partition), 'Mod', '==', p.modRevision);
            ops.push(this.#ns().put(keys.partition(topic, m.partition)).value(JSON.stringify(withElr(p.value, outcome.partition, this.#minIsr(topic, outcome.replicas.length), false, [], this.view.elrEnabled()))));
          }
        }
        if (t && ops.length > 0) {
          const res = await guard.and(keys.topic(topic), 'Mod', '==', t.modRevision).then(this.#ns().put(keys.topic(topic)).value(JSON.stringify({ ...t.value, replicas })), ...ops).commit();
          if (!res.succeeded) {
            if (!this.isController) throw new TopicError(ErrorCode.NOT_CONTROLLER, 'this broker stopped being the controller');
            if (attempt < 20) {
              await new Promise((r) => setTimeout(r, 50));
              continue;
            }
            for (const x of planned) if (x.result.errorCode === 0) Object.assign(x.result, { errorCode: ErrorCode.REASSIGNMENT_IN_PROGRESS, message: `topic "${topic}" kept changing; retry` });
          } else {
            await this.#o.store.waitForView(() => JSON.stringify(this.view.topics.get(topic)?.value.replicas) === JSON.stringify(replicas), 5000);
            this.#o.logger.log('info', 'reassignment requested', { topic, moves: planned.filter((x) => x.result.errorCode === 0).map((x) => ({ partition: x.move.partition, replicas: x.move.replicas })) });
          }
        }
        results.push(...planned.map((x) => x.result));
        break;
      }
    }
    return results;
  }

  /**
   * The controller's part of every ongoing reassignment: once all target replicas are in the ISR,
   * the target set takes over (replicas, ISR, leader if it moves) and the record goes, in one
   * guarded transaction per topic.
   */
  async #progressReassignments(epoch: string): Promise<void> {
    const live = this.view.liveBrokers();
    const done = new Map<string, { partition: number; replicas: number[]; next: PartitionRecord | undefined; modRevision: string }[]>();
    for (const r of this.reassignments()) {
      const p = this.view.partitions.get(`${r.topic}/${r.partition}`);
      if (!p) continue;
      const step = completion(r, p.value, live);
      if (step) done.set(r.topic, [...(done.get(r.topic) ?? []), { partition: r.partition, replicas: step.replicas, next: step.partition && withElr(p.value, step.partition, this.#minIsr(r.topic, step.replicas.length), false, [], this.view.elrEnabled()), modRevision: p.modRevision }]);
    }
    for (const [topic, steps] of done) {
      const t = this.view.topics.get(topic);
      if (!t) continue;
      const replicas = t.value.replicas.map((r) => [...r]);
      let guard = this.#guarded(epoch).and(keys.topic(topic), 'Mod', '==', t.modRevision);
      const ops = [];
      for (const s of steps) {
        replicas[s.partition] = s.replicas;
        ops.push(this.#ns().delete().key(reassignmentKey(topic, s.partition)));
        if (s.next) {
          guard = guard.and(keys.partition(topic, s.partition), 'Mod', '==', s.modRevision);
          ops.push(this.#ns().put(keys.partition(topic, s.partition)).value(JSON.stringify(s.next)));
        }
      }
      const res = await guard.then(this.#ns().put(keys.topic(topic)).value(JSON.stringify({ ...t.value, replicas })), ...ops).commit();
      if (res.succeeded) this.#o.logger.log('info', 'reassignment completed', { topic, partitions: steps.map((s) => ({ partition: s.partition, replicas: s.replicas, leader: s.next?.leader })) });
      else this.#dirty = true; // an ISR or config write came between: plan again from the new view
    }
  }

  async electLeaders(electionType: number, partitions: { topic: string; partition: number }[] | null): Promise<PartitionResult[]> {
    const epoch = this.requireController();
    const all = partitions === null;
    const targets = partitions ?? [...this.view.topics.values()].flatMap((t) => t.value.replicas.map((_, partition) => ({ topic: t.value.name, partition })));
    const results: PartitionResult[] = [];
    const written: [string, number][] = [];
    await Promise.all(
      targets.map(async ({ topic, partition }) => {
        for (let attempt = 0; ; attempt++) {
          const replicas = this.view.topics.get(topic)?.value.replicas[partition];
          const p = this.view.partitions.get(`${topic}/${partition}`);
          if (!replicas || !p) {
            results.push({ topic, partition, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: `No such partition ${topic}-${partition}.` });
            return;
          }
          const outcome = electFor(electionType, replicas, p.value, this.view.liveBrokers(), this.#minIsr(topic, replicas.length), this.view.elrEnabled());
          if (!outcome.ok) {
            // Electing everything, Kafka answers only for the partitions that needed an election.
            if (!(all && outcome.errorCode === ErrorCode.ELECTION_NOT_NEEDED)) results.push({ topic, partition, errorCode: outcome.errorCode, message: outcome.message });
            return;
          }
          const res = await this.#guarded(epoch).and(keys.partition(topic, partition), 'Mod', '==', p.modRevision).then(this.#ns().put(keys.partition(topic, partition)).value(JSON.stringify(outcome.next))).commit();
          if (res.succeeded) {
            this.#o.logger.log('info', 'partition state changed', { topic, partition, reason: electionType === ElectionType.UNCLEAN ? 'unclean-election' : 'preferred-election', leader: outcome.next.leader, leaderEpoch: outcome.next.leaderEpoch, isr: outcome.next.isr });
            results.push({ topic, partition, errorCode: 0, message: null });
            written.push([`${topic}/${partition}`, outcome.next.leaderEpoch]);
            return;
          }
          if (!this.isController) throw new TopicError(ErrorCode.NOT_CONTROLLER, 'this broker stopped being the controller');
          if (attempt >= 20) {
            results.push({ topic, partition, errorCode: ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE, message: 'the partition kept changing during the election; retry' });
            return;
          }
          await new Promise((r) => setTimeout(r, 50));
        }
      }),
    );
    // Answered once this broker's view shows the new leaders, so a metadata request here reads them.
    await this.#o.store.waitForView(() => written.every(([k, e]) => (this.view.partitions.get(k)?.value.leaderEpoch ?? -1) >= e), 5000);
    return results;
  }

  /** A topic's effective min.insync.replicas for the ELR (controller-plan.ts effectiveMinIsr). */
  #minIsr(topic: string, replicationFactor: number): number {
    return effectiveMinIsr(this.view.topics.get(topic)?.value.configs ?? {}, replicationFactor, this.#o.minInsyncReplicas);
  }

  #guarded(epoch: string) {
    return this.#ns().if(keys.controller, 'Create', '==', epoch);
  }
}
