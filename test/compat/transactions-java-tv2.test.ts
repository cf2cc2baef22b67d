import { ApiKey, type DescribeTransactionsResponse } from '@tributary/protocol';
import { BrokerConnection } from '@tributary/kafka-admin';
import { startKafka } from '@tributary/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { startBroker } from '../support/broker-process.ts';
import { useTargetBroker, type TargetBroker } from '../support/both-brokers.ts';
import { ensureJavaPrograms, runJava } from '../support/java-client.ts';

// Transaction version 2 (KIP-890 part 2). Tributary finalizes transaction.version 2 in ApiVersions
// (`tributary.transaction.version=2`), Apache Kafka 4.4 is formatted at it, and Kafka's Java
// client (kafka-clients 4.4) then adds partitions implicitly through Produce v12, commits offsets
// with TxnOffsetCommit v5 and no AddOffsetsToTxn, and ends each transaction with EndTxn v5,
// which bumps its epoch. The program is the one of transactions-java.test.ts (commit, abort,
// commit with sendOffsetsToTransaction, a zombie fenced by its successor): the same observable
// results on both brokers, and the same producer epoch and state at the end, which only an
// epoch bump per transaction end gives (at version 1 the epoch moves only at InitProducerId).
interface TransactionsRun {
  zombieError: string | null;
  readCommitted: string[];
  readUncommitted: string[];
  groupOffset: { offset: number | null };
}

const settings = { 'transaction.state.log.num.partitions': '5' };
const targets: [string, () => Promise<TargetBroker>][] = [
  ['Tributary', async () => {
    const b = await startBroker({ settings: { ...settings, 'tributary.transaction.version': '2' } });
    return { bootstrap: b.bootstrap, stop: () => b.destroy() };
  }],
  ['Apache Kafka', () => startKafka({ settings, features: { 'transaction.version': '2' } })],
];
const results = new Map<string, { run: TransactionsRun; transaction: unknown }>();

beforeAll(() => ensureJavaPrograms(), 600_000);

/** The transactional id's producer epoch and state as DescribeTransactions tells them (one broker: it coordinates). */
async function describeTransaction(bootstrap: string, transactionalId: string) {
  const [host, port] = bootstrap.split(':');
  const conn = await BrokerConnection.open(host!, Number(port), 'tv2-test', 30_000);
  try {
    const r = await conn.send<DescribeTransactionsResponse>(ApiKey.DescribeTransactions, 0, { transactionalIds: [transactionalId] });
    const t = r.transactionStates[0]!;
    return { errorCode: t.errorCode, state: t.transactionState, producerEpoch: t.producerEpoch, topics: t.topics };
  } finally {
    conn.close();
  }
}

describe.each(targets)('%s at transaction.version 2', (name, start) => {
  const broker = useTargetBroker(start);

  it('commits, aborts, commits offsets with the transaction and fences a zombie, bumping the epoch at each end', async () => {
    const { result } = await runJava<TransactionsRun>('Transactions', [broker.bootstrap, 'jtx2', 'jtx2-id', 'jtx2-group'], { timeoutMs: 180_000 });
    expect(result.readCommitted).toEqual(['c1', 'c2', 'c3', 'c4', 's1']);
    expect(result.readUncommitted.filter((v) => !v.startsWith('z'))).toEqual(['a1', 'a2', 'c1', 'c2', 'c3', 'c4', 's1']);
    expect(result.readUncommitted).toContain('z1');
    expect(result.zombieError).toMatch(/ProducerFenced|InvalidProducerEpoch/);
    expect(result.groupOffset).toEqual({ offset: 7 });
    const transaction = await describeTransaction(broker.bootstrap, 'jtx2-id');
    // Two InitProducerIds and at least four transaction ends (each a bump) since epoch 0.
    expect(transaction).toMatchObject({ errorCode: 0, state: 'CompleteCommit' });
    expect(transaction.producerEpoch).toBeGreaterThanOrEqual(5);
    results.set(name, { run: result, transaction });
  }, 240_000);
});

describe('Tributary and Apache Kafka at transaction.version 2', () => {
  it('give the Java client the same results and leave the producer at the same epoch', () => {
    expect(results.size).toBe(2);
    expect(results.get('Tributary')).toEqual(results.get('Apache Kafka'));
  });
});
