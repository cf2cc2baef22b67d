import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KafkaAdminClient } from '@tributary/kafka-admin';
import { beforeAll, describe, expect, it } from 'vitest';
import { bothBrokers, useTargetBroker } from '../support/both-brokers.ts';
import { ensureJavaPrograms, runJava } from '../support/java-client.ts';
import { describeTransaction } from './transaction-state.ts';

// Kafka's Java client (kafka-clients 4.4) with transactions, against Tributary and against Apache
// Kafka 4.4 with the same program (test/java/src/tributary/compat/Transactions.java): commit, abort,
// commit with sendOffsetsToTransaction, a zombie fenced by a successor with the same
// transactional.id; read_committed and read_uncommitted consumers read to their end offsets.
// Both brokers run at their default, transaction version 2 (KIP-890 part 2: Apache Kafka 4.4
// formats a new cluster at it, and Tributary finalizes it unless `tributary.transaction.version=1`,
// tested in transactions-java-tv1.test.ts): the Java client adds partitions through Produce v12,
// commits offsets with TxnOffsetCommit v5 and ends with EndTxn v5, which bumps the epoch, so the
// final producer epoch shows the version.
// The same scenario with librdkafka 2.0.2 (Debian's confluent-kafka for Python,
// test/compat/python/transactions.py). The two brokers must give each client the same observable
// results, and those are the expected ones.
const run = promisify(execFile);
interface PythonRun {
  zombieError: string | null;
  readCommitted: string[];
  readUncommitted: string[];
  groupOffset: number;
}
const pythonResults = new Map<string, PythonRun>();
interface TransactionsRun {
  zombieError: string | null;
  readCommitted: string[];
  readUncommitted: string[];
  groupOffset: { offset: number | null };
}

const results = new Map<string, { run: TransactionsRun; transaction: unknown }>();
const targets = bothBrokers({ 'transaction.state.log.num.partitions': '5' });

beforeAll(() => ensureJavaPrograms(), 600_000);

describe.each(targets)('%s', (name, start) => {
  const broker = useTargetBroker(start);

  it('commits, aborts, commits offsets with the transaction and fences a zombie', async () => {
    const { result } = await runJava<TransactionsRun>('Transactions', [broker.bootstrap, 'jtx', 'jtx-id', 'jtx-group'], { timeoutMs: 180_000 });
    // The aborted transaction (a1, a2) and the zombie's (z1, and z2 if it was sent) are never read committed.
    expect(result.readCommitted).toEqual(['c1', 'c2', 'c3', 'c4', 's1']);
    expect(result.readUncommitted.filter((v) => !v.startsWith('z'))).toEqual(['a1', 'a2', 'c1', 'c2', 'c3', 'c4', 's1']);
    expect(result.readUncommitted).toContain('z1');
    expect(result.zombieError).toMatch(/ProducerFenced|InvalidProducerEpoch/);
    expect(result.groupOffset).toEqual({ offset: 7 });
    const transaction = await describeTransaction(broker.bootstrap, 'jtx-id');
    // Two InitProducerIds and at least four transaction ends (each a bump at version 2) since epoch 0.
    expect(transaction).toMatchObject({ errorCode: 0, state: 'CompleteCommit' });
    expect(transaction.producerEpoch).toBeGreaterThanOrEqual(5);
    results.set(name, { run: result, transaction });
  }, 200_000);

  it('librdkafka: commits, aborts, commits offsets with the transaction and fences a zombie', async () => {
    const admin = await KafkaAdminClient.connect(broker.bootstrap);
    try {
      expect((await admin.createTopics([{ name: 'ptx', partitions: 2, replicationFactor: 1 }])).get('ptx')).toBeNull();
    } finally {
      admin.close();
    }
    const { stdout } = await run('/usr/bin/python3', [join(import.meta.dirname, 'python', 'transactions.py'), broker.bootstrap, 'ptx', 'ptx-id', 'ptx-group'], { timeout: 180_000 });
    const result = JSON.parse(stdout) as PythonRun;
    pythonResults.set(name, result);
    expect(result.readCommitted).toEqual(['c1', 'c2', 'c3', 'c4', 's1']);
    expect(result.readUncommitted).toEqual(['a1', 'a2', 'c1', 'c2', 'c3', 'c4', 's1', 'z1']);
    expect(result.zombieError).toMatch(/FENCED|EPOCH/);
    expect(result.groupOffset).toBe(7);
  }, 200_000);
});

describe('Tributary and Apache Kafka', () => {
  it('give the Java client (with the final producer epoch) and librdkafka the same results', () => {
    expect(results.size).toBe(2);
    expect(results.get('Tributary')).toEqual(results.get('Apache Kafka'));
    expect(pythonResults.size).toBe(2);
    expect(pythonResults.get('Tributary')).toEqual(pythonResults.get('Apache Kafka'));
  });
});
