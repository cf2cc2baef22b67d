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
  const code = await coordinatorAnswer(ctx, transactionalId, producerId, producerEpoch, partitions);
  return code === ErrorCode.PRODUCER_FENCED ? ErrorCode.INVALID_PRODUCER_EPOCH : code;
}

async function coordinatorAnswer(ctx: BrokerContext, transactionalId: string, producerId: bigint, producerEpoch: number, partitions: TopicPartition[]): Promise<number> {
  const local = ctx.transactions.lookup(transactionalId);
  if (local.ok) {
    const code = local.coordinator.addPartitions(transactionalId, producerId, producerEpoch, partitions, TRANSACTION_VERSION_2);
    return code || (await transactionStateReplicated(ctx, transactionalId));
  }
  const node = ctx.transactions.coordinatorNode(transactionalId);
  if (node < 0 || node === ctx.config.nodeId) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  const broker = ctx.cluster.brokers().find((b) => b.nodeId === node);
  const listener = broker && listenerFor(broker.listeners, interBrokerListenerName(ctx.config));
  if (!listener) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  const topics = new Map<string, number[]>();
  for (const p of partitions) topics.set(p.topic, [...(topics.get(p.topic) ?? []), p.partition]);
  let conn: BrokerConnection | undefined;
  try {
    conn = await BrokerConnection.open(listener.host, listener.port, `tributary-txn-add-${ctx.config.nodeId}`, 10_000);
    const res = await conn.send<AddPartitionsToTxnResponse>(ApiKey.AddPartitionsToTxn, 5, {
      transactions: [{ transactionalId, producerId, producerEpoch, verifyOnly: false, topics: [...topics].map(([name, ps]) => ({ name, partitions: ps })) }],
    });
    if (res.errorCode !== 0) return res.errorCode;
    const codes = res.resultsByTransaction.flatMap((r) => r.topicResults.flatMap((t) => t.resultsByPartition.map((p) => p.partitionErrorCode)));
    return codes.find((c) => c !== 0) ?? 0;
  } catch {
    return ErrorCode.NETWORK_EXCEPTION;
  } finally {
    conn?.close();
  }
}
