import { startKafka } from '@tributary/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { startBroker } from '../support/broker-process.ts';
import { useTargetBroker, type TargetBroker } from '../support/both-brokers.ts';
import { ensureJavaPrograms, runJava } from '../support/java-client.ts';
import { describeTransaction } from './transaction-state.ts';

// Transaction version 1 chosen explicitly. Transaction version 2 (KIP-890 part 2) is the default
// on both brokers (transactions-java.test.ts runs there); a Tributary started with
// `tributary.transaction.version=1` finalizes no transaction.version in ApiVersions, as Apache
// Kafka 4.4 formatted with `--feature transaction.version=1` finalizes 1, and Kafka's Java client
// (kafka-clients 4.4) then keeps to version 1: AddPartitionsToTxn and AddOffsetsToTxn, Produce
// below v12 (each first batch of a partition verified at the coordinator, KIP-890 part 1), EndTxn
// without an epoch bump. The program is the one of transactions-java.test.ts (commit, abort,
// commit with sendOffsetsToTransaction, a zombie fenced by its successor): the same observable
// results on both brokers, and the same producer epoch at the end: the successor's
// InitProducerId is the only bumper at version 1 (at version 2 every transaction end bumps too).
interface TransactionsRun {
  zombieError: string | null;
  readCommitted: string[];
  readUncommitted: string[];
  groupOffset: { offset: number | null };
}

const settings = { 'transaction.state.log.num.partitions': '5' };
const targets: [string, () => Promise<TargetBroker>][] = [
  ['Tributary', async () => {
    const b = await startBroker({ settings: { ...settings, 'tributary.transaction.version': '1' } });
    return { bootstrap: b.bootstrap, stop: () => b.destroy() };
  }],
  ['Apache Kafka', () => startKafka({ settings, features: { 'transaction.version': '1' } })],
];
const results = new Map<string, { run: TransactionsRun; transaction: unknown }>();

beforeAll(() => ensureJavaPrograms(), 600_000);

describe.each(targets)('%s at transaction.version 1', (name, start) => {
  const broker = useTargetBroker(start);

  it('commits, aborts, commits offsets with the transaction and fences a zombie, bumping the epoch only at InitProducerId', async () => {
    const { result } = await runJava<TransactionsRun>('Transactions', [broker.bootstrap, 'jtx1', 'jtx1-id', 'jtx1-group'], { timeoutMs: 180_000 });
    expect(result.readCommitted).toEqual(['c1', 'c2', 'c3', 'c4', 's1']);
    expect(result.readUncommitted.filter((v) => !v.startsWith('z'))).toEqual(['a1', 'a2', 'c1', 'c2', 'c3', 'c4', 's1']);
    expect(result.readUncommitted).toContain('z1');
    expect(result.zombieError).toMatch(/ProducerFenced|InvalidProducerEpoch/);
    expect(result.groupOffset).toEqual({ offset: 7 });
    const transaction = await describeTransaction(broker.bootstrap, 'jtx1-id');
    // No bump at the four transaction ends: only the successor's InitProducerId bumps, twice (once
    // to abort the zombie's running transaction with a fencing epoch, once when the retried call
    // finds it aborted), as Kafka's coordinator does.
    expect(transaction).toMatchObject({ errorCode: 0, state: 'CompleteCommit', producerEpoch: 2 });
    results.set(name, { run: result, transaction });
  }, 240_000);
});

describe('Tributary and Apache Kafka at transaction.version 1', () => {
  it('give the Java client the same results and leave the producer at the same epoch', () => {
    expect(results.size).toBe(2);
    expect(results.get('Tributary')).toEqual(results.get('Apache Kafka'));
  });
});
