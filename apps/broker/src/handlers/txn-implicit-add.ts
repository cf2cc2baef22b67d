import { ApiKey, ErrorCode, type AddPartitionsToTxnResponse } from '@tributary/protocol';
import { BrokerConnection } from '@tributary/kafka-admin';
import { TRANSACTION_VERSION_2, type TopicPartition } from '../txn/transaction-coordinator.ts';
import { interBrokerListenerName, listenerFor } from '../config/broker-config.ts';
import type { BrokerContext } from './context.ts';
import { transactionStateReplicated } from './transaction-guard.ts';

/**
 * KIP-890 part 2: a producer of transaction version 2 does not send AddPartitionsToTxn; the leader
 * that receives its transactional batch (Produce v12+), or the group coordinator that receives its
 * offsets (TxnOffsetCommit v5+), adds the partition to the transaction at the transaction
 * coordinator before writing. The coordinator may be this broker (called directly) or another
 * one (AddPartitionsToTxn v5, not verify-only, which is what Kafka's brokers send each other).
 * Returns 0 when every partition is in the transaction, else the error for all of them.
 *
 * Errors the producer should retry become NOT_ENOUGH_REPLICAS, as Kafka's ReplicaManager turns
 * coordinator errors of this verification into a retriable produce error; PRODUCER_FENCED becomes
 * INVALID_PRODUCER_EPOCH, as Kafka's AddPartitionsToTxnManager answers it (a produce response
 * does not carry PRODUCER_FENCED); state errors pass through.
 */
export async function addImplicitly(ctx: BrokerContext, transactionalId: string, producerId: bigint, producerEpoch: number, partitions: TopicPartition[]): Promise<number> {
  const code = await addAtCoordinator(ctx, transactionalId, producerId, producerEpoch, partitions);
  return RETRIABLE.has(code) ? ErrorCode.NOT_ENOUGH_REPLICAS : code;
}

/**
 * The same for TxnOffsetCommit v5: the producer's offset-commit handler retries
 * COORDINATOR_NOT_AVAILABLE (it looks the group coordinator up again) and CONCURRENT_TRANSACTIONS,
 * not NOT_ENOUGH_REPLICAS, so an unreachable transaction coordinator is answered as the former.
 */
export async function addOffsetsImplicitly(ctx: BrokerContext, transactionalId: string, producerId: bigint, producerEpoch: number, partitions: TopicPartition[]): Promise<number> {
  const code = await addAtCoordinator(ctx, transactionalId, producerId, producerEpoch, partitions);
  return code !== ErrorCode.CONCURRENT_TRANSACTIONS && RETRIABLE.has(code) ? ErrorCode.COORDINATOR_NOT_AVAILABLE : code;
}

const RETRIABLE = new Set<number>([ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.NOT_COORDINATOR, ErrorCode.CONCURRENT_TRANSACTIONS, ErrorCode.NETWORK_EXCEPTION, ErrorCode.REQUEST_TIMED_OUT]);

async function addAtCoordinator(ctx: BrokerContext, transactionalId: string, producerId: bigint, producerEpoch: number, partitions: TopicPartition[]): Promise<number> {
  const answer = await coordinatorAnswer(ctx, transactionalId, producerId, producerEpoch, partitions, false);
  const code = partitions.map(answer).find((c) => c !== 0) ?? 0;
  return code === ErrorCode.PRODUCER_FENCED ? ErrorCode.INVALID_PRODUCER_EPOCH : code;
}

/**
 * KIP-890 part 1: asks the coordinator whether the partitions are in the producer's running
 * transaction without adding them (AddPartitionsToTxn verify-only). The answer per partition, as
 * Kafka's AddPartitionsToTxnManager gives it to the produce path: 0 (in it), TRANSACTION_ABORTABLE
 * (not in it), INVALID_PRODUCER_EPOCH for a fenced producer, NOT_ENOUGH_REPLICAS for a coordinator
 * the producer should retry, the coordinator's other errors as they are.
 */
export async function verifyAtCoordinator(ctx: BrokerContext, transactionalId: string, producerId: bigint, producerEpoch: number, partitions: TopicPartition[]): Promise<(p: TopicPartition) => number> {
  const answer = await coordinatorAnswer(ctx, transactionalId, producerId, producerEpoch, partitions, true);
  return (p) => {
    const code = answer(p);
    return code === ErrorCode.PRODUCER_FENCED ? ErrorCode.INVALID_PRODUCER_EPOCH : RETRIABLE.has(code) ? ErrorCode.NOT_ENOUGH_REPLICAS : code;
  };
}

/**
 * The coordinator's answer per partition: this broker's coordinator called directly, or another
 * broker's through AddPartitionsToTxn v5 (what Kafka's brokers send each other) on a fresh
 * connection. An error for the whole request, or no connection, is the answer for every partition.
 */
async function coordinatorAnswer(ctx: BrokerContext, transactionalId: string, producerId: bigint, producerEpoch: number, partitions: TopicPartition[], verifyOnly: boolean): Promise<(p: TopicPartition) => number> {
  const all = (code: number) => () => code;
  const local = ctx.transactions.lookup(transactionalId);
  if (local.ok) {
    if (verifyOnly) return (p) => local.coordinator.verify(transactionalId, producerId, producerEpoch, p);
    const code = local.coordinator.addPartitions(transactionalId, producerId, producerEpoch, partitions, TRANSACTION_VERSION_2);
    return all(code || (await transactionStateReplicated(ctx, transactionalId)));
  }
  const node = ctx.transactions.coordinatorNode(transactionalId);
  if (node < 0 || node === ctx.config.nodeId) return all(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  const broker = ctx.cluster.brokers().find((b) => b.nodeId === node);
  const listener = broker && listenerFor(broker.listeners, interBrokerListenerName(ctx.config));
  if (!listener) return all(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  const topics = new Map<string, number[]>();
  for (const p of partitions) topics.set(p.topic, [...(topics.get(p.topic) ?? []), p.partition]);
  let conn: BrokerConnection | undefined;
  try {
    conn = await BrokerConnection.open(listener.host, listener.port, `tributary-txn-add-${ctx.config.nodeId}`, 10_000);
    const res = await conn.send<AddPartitionsToTxnResponse>(ApiKey.AddPartitionsToTxn, 5, {
      transactions: [{ transactionalId, producerId, producerEpoch, verifyOnly, topics: [...topics].map(([name, ps]) => ({ name, partitions: ps })) }],
    });
    if (res.errorCode !== 0) return all(res.errorCode);
    const codes = new Map<string, number>();
    for (const r of res.resultsByTransaction) for (const t of r.topicResults) for (const p of t.resultsByPartition) codes.set(`${t.name}\0${p.partitionIndex}`, p.partitionErrorCode);
    // A partition the answer leaves out was not answered for: the producer retries.
    return (p) => codes.get(`${p.topic}\0${p.partition}`) ?? ErrorCode.NETWORK_EXCEPTION;
  } catch {
    return all(ErrorCode.NETWORK_EXCEPTION);
  } finally {
    conn?.close();
  }
}
