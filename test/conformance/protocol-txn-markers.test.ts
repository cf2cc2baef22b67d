import { afterAll, describe, expect, it } from 'vitest';
import { ApiKey, type CreateTopicsResponse, type DescribeTransactionsResponse, type InitProducerIdResponse, type ListTransactionsResponse, type MetadataResponse, type ProduceResponse } from '@tributary/protocol';
import { startTargetCluster, type ClusterKind, type TargetCluster } from '../support/target-cluster.ts';
import { until } from '../support/until.ts';
import { coordinatorOf, keyCoordinatedBy, relabel, roles } from './cluster-steps.ts';
import { batch, expectRunsExplained } from './harness.ts';
import { RawClient } from './raw-client.ts';
import { endOffsets, readCommitted } from './txn-reads.ts';
import { addPartitionsBody, endTxnBody, initProducerIdBody, transactionalBatch, transactionalProduceBody, type TxnProducer } from './txn-requests.ts';

/**
 * A transaction coordinator killed -9 between EndTxn and its markers (issue 13), on a 3-node Apache
 * Kafka 4.4 and then on 3 Tributary brokers, raw requests compared as in protocol-cluster.test.ts.
 * The markers are kept from being written deterministically: the transactions' partitions have
 * their only replica on broker PAUSED, which is stopped with SIGSTOP before EndTxn and continued
 * before its session times out, so it stays their leader and the markers' WriteTxnMarkers to it
 * go unanswered. (Fenced, its partitions would have no leader, and Apache Kafka 4.4 then skips
 * their markers as if the partitions were deleted: see test/conformance/README.md.) Two
 * transactional ids coordinated by
 * COORDINATOR (the third broker, THIRD, is the controller, so neither stop nor kill takes it):
 * one ends with EndTxn(commit), the other with EndTxn(abort). EndTxn answers once the Prepare
 * record is written, while no marker can be (what Kafka does for version-1 clients); the
 * coordinator then describes them PrepareCommit / PrepareAbort and a retried EndTxn is
 * CONCURRENT_TRANSACTIONS. COORDINATOR is killed -9 and PAUSED continued; the new coordinator
 * loads the decided transactions from `__transaction_state`, writes their markers and completes
 * them: DescribeTransactions CompleteCommit / CompleteAbort, read_committed ListOffsets and Fetch
 * see the committed records and not the aborted ones, the last stable offset moves past both, and
 * the producer starts again on the new coordinator. On Kafka the new coordinator can only be
 * elected once PAUSED is back (its KRaft quorum needs two of the three nodes), so nothing is
 * compared between the kill and the continue.
 */

const TOPIC = 'txn-markers';
const ZERO = '00000000-0000-0000-0000-000000000000';
const SETTINGS = {
  // Long enough that the paused broker is not fenced (Kafka: its controller's heartbeat deadline;
  // Tributary: its etcd lease) before it continues; the killed coordinator is fenced after it.
  'broker.session.timeout.ms': '20000',
  // The paused broker leaves the ISRs of __transaction_state (led by the others) within seconds, so the Prepare records are written without it.
  'replica.lag.time.max.ms': '3000',
  'leader.imbalance.check.interval.seconds': '3600',
};
const RETRIABLE = [14, 15, 16, 51]; // COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR, CONCURRENT_TRANSACTIONS
const COMMIT = 0;
const ABORT = 1;

interface Run {
  observed: Record<string, unknown>;
  runStart: number;
}

const metadataBody = (topics: string[]) => ({ topics: topics.map((name) => ({ name, topicId: ZERO })), allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });

async function scenario(cluster: TargetCluster): Promise<Run> {
  const runStart = Date.now();
  const kind = cluster.kind;
  const target = kind === 'Tributary' ? 'cluster-tributary' : 'cluster-kafka';
  const observed: Record<string, unknown> = {};
  const clients: RawClient[] = [];
  // EndTxn is answered once the Prepare record is on __transaction_state's in-sync replicas: on
  // Kafka after the paused follower has left them (replica.lag.time.max.ms), longer than the 15 s default under load.
  const connect = async (address: string) => {
    const c = await RawClient.connect(address, target, { timeoutMs: 60_000 });
    clients.push(c);
    return c;
  };
  try {
    const any = await connect(cluster.live()[0]!);
    const cmd = await any.request<MetadataResponse>(ApiKey.Metadata, 12, metadataBody([]));
    const address = new Map(cmd.brokers.map((b) => [b.nodeId, `${b.host}:${b.port}`]));
    // Neither the stop nor the kill takes the controller (on Kafka the KRaft quorum leader), so the
    // cluster notices both without an election of its own.
    const third = await cluster.controller();
    const [coordinator, paused] = [...address.keys()].filter((id) => id !== third).sort((a, b) => a - b) as [number, number];
    const before = new Map([[coordinator, 'coordinator'], [paused, 'paused'], [third, 'third']]);
    // Transactional ids are chosen and producer ids handed out per cluster: compared as labels.
    const labels = new Map<string, string>();
    const producers = new Map<bigint, string>();
    const record = (name: string, answer: unknown, of: Map<number, string>) => (observed[name] = roles(relabel(answer, labels, { producers }), of));

    // Both partitions have their only replica on the broker paused below (admin requests to the broker Metadata names as controller, as clients send them).
    const created = await (await connect(address.get(cmd.controllerId)!)).request<CreateTopicsResponse>(ApiKey.CreateTopics, 5, {
      topics: [{ name: TOPIC, numPartitions: -1, replicationFactor: -1, assignments: [COMMIT, ABORT].map((partitionIndex) => ({ partitionIndex, brokerIds: [paused] })), configs: [] }],
      timeoutMs: 30_000,
      validateOnly: false,
    });
    expect(created.topics[0]?.errorCode, `${kind}: CreateTopics`).toBe(0);
    for (const p of [COMMIT, ABORT]) await cluster.waitForIsr(TOPIC, p, 1, 60_000);
    const toCoordinator = await connect(address.get(coordinator)!);
    const toPaused = await connect(address.get(paused)!);
    const toThird = await connect(address.get(third)!);

    // ---- two transactions, coordinated by COORDINATOR, each with a record before it on its partition ----
    const txns: TxnProducer[] = [];
    for (const [partition, name] of [[COMMIT, 'COMMIT'], [ABORT, 'ABORT']] as const) {
      const txId = await keyCoordinatedBy(toCoordinator, 1, `mtx-${name.toLowerCase()}`, coordinator, `${kind}: a transactional id coordinated by COORDINATOR`);
      labels.set(txId, `TXN-${name}`);
      // Kafka loads a new __transaction_state partition after naming its coordinator.
      const init = await until(async () => {
        const r = await toCoordinator.request<InitProducerIdResponse>(ApiKey.InitProducerId, 4, initProducerIdBody(txId, 600_000));
        return RETRIABLE.includes(r.errorCode) ? null : r;
      }, `${kind}: InitProducerId of ${txId}`, 60_000);
      expect(init.errorCode, `${kind}: InitProducerId`).toBe(0);
      producers.set(init.producerId, `PRODUCER-${name}`);
      const producer: TxnProducer = { transactionalId: txId, producerId: init.producerId, producerEpoch: init.producerEpoch };
      txns.push(producer);
      const plain = await toPaused.request<ProduceResponse>(ApiKey.Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 15_000, topicData: [{ name: TOPIC, partitionData: [{ index: partition, records: batch([{ key: 'k', value: `before-${name}`, headers: [] }], { baseTimestamp: Date.now() }) }] }] });
      expect(plain.responses[0]?.partitionResponses[0]?.errorCode, `${kind}: a plain record to partition ${partition}`).toBe(0);
      record(`open/${name}/add-partitions`, await toCoordinator.send(ApiKey.AddPartitionsToTxn, 3, addPartitionsBody(producer, [{ name: TOPIC, partitions: [partition] }])), before);
      record(`open/${name}/produce`, await toPaused.send(ApiKey.Produce, 9, transactionalProduceBody(txId, TOPIC, partition, transactionalBatch(producer, 0, [`${name}-a`, `${name}-b`]))), before);
      // The record before it is stable, the transaction's two are not.
      record(`open/${name}/end-offsets`, await endOffsets(toPaused, TOPIC, partition), before);
    }
    record('open/describe-transactions', await toCoordinator.send(ApiKey.DescribeTransactions, 0, { transactionalIds: txns.map((t) => t.transactionalId) }), before);

    // ---- PAUSED stopped: no marker can be written until it continues ----
    cluster.pause(paused);
    const pausedAt = Date.now();

    // EndTxn answers once the Prepare record is written; the markers cannot be.
    const [commit, abort] = txns as [TxnProducer, TxnProducer];
    const ended = { commit: await toCoordinator.send(ApiKey.EndTxn, 3, endTxnBody(commit, true)), abort: await toCoordinator.send(ApiKey.EndTxn, 3, endTxnBody(abort, false)) };
    record('paused/end-txn', ended, before);
    // Still the partitions' leader (not fenced): the markers wait for it, nothing skips them.
    record('paused/metadata', await toCoordinator.send(ApiKey.Metadata, 12, metadataBody([TOPIC])), before);
    const described = await toCoordinator.request<DescribeTransactionsResponse>(ApiKey.DescribeTransactions, 0, { transactionalIds: [commit.transactionalId, abort.transactionalId] });
    record('paused/describe-transactions', { kind: 'response', body: described }, before);
    // As Apache Kafka 4.4 answered (2026-12-02), so that equal answers cannot be equal failures.
    expect({ ended: [ended.commit, ended.abort].map((o) => (o.kind === 'response' ? (o.body as { errorCode: number }).errorCode : o.kind)), states: described.transactionStates.map((t) => t.transactionState) }, `${kind}: EndTxn with the markers blocked`).toEqual({ ended: [0, 0], states: ['PrepareCommit', 'PrepareAbort'] });
    record('paused/end-txn-retried', { commit: await toCoordinator.send(ApiKey.EndTxn, 3, endTxnBody(commit, true)), abort: await toCoordinator.send(ApiKey.EndTxn, 3, endTxnBody(abort, false)) }, before);
    const listed = await toCoordinator.request<ListTransactionsResponse>(ApiKey.ListTransactions, 1, { stateFilters: ['PrepareCommit', 'PrepareAbort'], producerIdFilters: [], durationFilter: -1n });
    record('paused/list-transactions', { ...listed, transactionStates: listed.transactionStates.filter((t) => labels.has(t.transactionalId)).sort((a, b) => a.transactionalId.localeCompare(b.transactionalId)) }, before);

    // ---- COORDINATOR killed -9, PAUSED continued: the new coordinator finishes both ----
    await cluster.kill(coordinator);
    cluster.resume(paused);
    // Had its session run out meanwhile, the markers would have met a leaderless partition.
    expect(Date.now() - pausedAt, `${kind}: PAUSED stopped for less than its session timeout`).toBeLessThan(Number(SETTINGS['broker.session.timeout.ms']));
    const after = new Map([[coordinator, 'killed'], [paused, 'resumed'], [third, 'third']]);
    // Which survivor takes a __transaction_state partition depends on its ISR at the kill, which a
    // loaded machine's lag decides (Kafka's new coordinator was THIRD in two runs, the resumed
    // broker in a third, 2026-12-02): FindCoordinator's answer names "a survivor".
    const survivors = new Map([[coordinator, 'killed'], [paused, 'a survivor'], [third, 'a survivor']]);
    for (const [producer, name, state] of [[commit, 'COMMIT', 'CompleteCommit'], [abort, 'ABORT', 'CompleteAbort']] as const) {
      const found = await coordinatorOf(toThird, 1, producer.transactionalId, coordinator, `${kind}: a new coordinator for TXN-${name}`);
      record(`after/${name}/find-coordinator`, { kind: 'response', body: found }, survivors);
      const toNew = await connect(address.get(found.coordinators[0]!.nodeId)!);
      // Loading, then Prepare* until the markers are on the resumed broker's partitions.
      await until(async () => {
        const r = await toNew.request<DescribeTransactionsResponse>(ApiKey.DescribeTransactions, 0, { transactionalIds: [producer.transactionalId] });
        return r.transactionStates[0]?.transactionState === state ? true : null;
      }, `${kind}: the new coordinator completing TXN-${name} (${state})`, 120_000);
      record(`after/${name}/describe-transactions`, await toNew.send(ApiKey.DescribeTransactions, 0, { transactionalIds: [producer.transactionalId] }), after);
      const partition = name === 'COMMIT' ? COMMIT : ABORT;
      await cluster.leaderOf(TOPIC, partition, { not: -1, timeoutMs: 60_000 });
      const toResumed = await connect(address.get(paused)!);
      // One record before, two in the transaction, the marker: nothing unstable once it is written.
      let last: unknown = null;
      record(`after/${name}/end-offsets`, await until(async () => {
        const e = (last = await endOffsets(toResumed, TOPIC, partition).catch((err: unknown) => String(err)));
        return typeof e === 'object' && e.readCommitted === e.readUncommitted && e.readUncommitted === 4n ? e : null;
      }, `${kind}: TXN-${name}'s marker on partition ${partition}, the last stable offset past it`, 60_000, () => `last end offsets: ${String(last && JSON.stringify(last, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v)))}`), after);
      record(`after/${name}/fetch-read-committed`, await readCommitted(toResumed, TOPIC, partition), after);
      const listedAfter = await toNew.request<ListTransactionsResponse>(ApiKey.ListTransactions, 1, { stateFilters: [], producerIdFilters: [], durationFilter: -1n });
      record(`after/${name}/list-transactions`, { ...listedAfter, transactionStates: listedAfter.transactionStates.filter((t) => t.transactionalId === producer.transactionalId) }, after);
      // The producer starts again on the new coordinator: its epoch bumped once, nothing to abort.
      const init = await until(async () => {
        const r = await toNew.request<InitProducerIdResponse>(ApiKey.InitProducerId, 4, initProducerIdBody(producer.transactionalId, 600_000));
        return RETRIABLE.includes(r.errorCode) ? null : r;
      }, `${kind}: InitProducerId of TXN-${name} on the new coordinator`, 60_000);
      record(`after/${name}/init-producer-id`, { kind: 'response', body: init }, after);
      expect({ errorCode: init.errorCode, sameProducer: init.producerId === producer.producerId, epochBump: init.producerEpoch - producer.producerEpoch }, `${kind}: TXN-${name}'s producer restarted`).toEqual({ errorCode: 0, sameProducer: true, epochBump: 1 });
    }
    return { observed, runStart };
  } finally {
    for (const c of clients) c.close();
  }
}

const runs = new Map<ClusterKind, Run>();
let running: TargetCluster | null = null;
afterAll(async () => running?.stop(), 60_000);

describe('a transaction coordinator killed -9 between EndTxn and its markers: Apache Kafka 4.4.0 vs Tributary', () => {
  // One cluster at a time (Kafka's first): three KRaft JVMs beside three brokers would crowd two cores.
  for (const kind of ['Apache Kafka', 'Tributary'] as const) {
    it(`the scenario on ${kind}`, async () => {
      running = await startTargetCluster(kind, { settings: SETTINGS, timeoutMs: 180_000 });
      try {
        runs.set(kind, await scenario(running));
      } finally {
        await running.stop();
        running = null;
      }
    }, 600_000);
  }

  it('what the coordinator, the new coordinator and the resumed broker answered is the same on both', () => {
    expectRunsExplained('cluster/txn-markers', runs.get('Apache Kafka'), runs.get('Tributary'));
  });
});
