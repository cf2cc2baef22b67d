import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeTransactionKey, encodeTransactionValue, TxnState, txnStateName, type TransactionRecord, type TxnStateId } from '../../apps/broker/src/txn/transaction-records.ts';

// Issue 19: the transaction coordinator keeps its state in __transaction_state in Kafka's own
// record format, so that Kafka's tools read it. Apache Kafka 4.4 is the oracle: it reads each
// record we write with its TransactionLog.read and writes the same transaction again; the bytes
// must be ours.
const ROOT = resolve(import.meta.dirname, '../..');
const LIBS = resolve(ROOT, '.cache/kafka/libs');
const ORACLE = resolve(ROOT, 'test/support/kafka-oracle/TransactionRecords.java');

beforeAll(() => {
  execFileSync('bash', [resolve(ROOT, 'scripts/setup.d/10-kafka.sh')], { stdio: 'inherit' });
  if (!existsSync(LIBS)) throw new Error(`Apache Kafka's jars are missing from ${LIBS}: run bash scripts/setup.d/10-kafka.sh`);
}, 600_000);

/** Kafka's TransactionState constant names (what its toString prints), by our state names. */
const KAFKA_NAMES: Record<string, string> = { Empty: 'EMPTY', Ongoing: 'ONGOING', PrepareCommit: 'PREPARE_COMMIT', PrepareAbort: 'PREPARE_ABORT', CompleteCommit: 'COMPLETE_COMMIT', CompleteAbort: 'COMPLETE_ABORT', Dead: 'DEAD', PrepareEpochFence: 'PREPARE_EPOCH_FENCE' };

function record(state: TxnStateId, partitions: [string, number[]][], over: Partial<TransactionRecord> = {}): TransactionRecord {
  return { producerId: 4242n, previousProducerId: -1n, nextProducerId: -1n, producerEpoch: 3, timeoutMs: 60_000, state, partitions: new Map(partitions.map(([t, ps]) => [t, new Set(ps)])), lastUpdateMs: 1_764_000_000_123, startMs: state === TxnState.Empty ? -1 : 1_764_000_000_000, clientTransactionVersion: 0, ...over };
}

describe('__transaction_state records against Apache Kafka 4.4', () => {
  it('Kafka reads every state we write and writes the same bytes for it', () => {
    const cases: { id: string; r: TransactionRecord }[] = [
      { id: 'app-1', r: record(TxnState.Empty, []) },
      { id: 'app-1', r: record(TxnState.Ongoing, [['orders', [0, 2]], ['__consumer_offsets', [7]]]) },
      { id: 'app-1', r: record(TxnState.PrepareCommit, [['orders', [0, 2]]]) },
      { id: 'app-1', r: record(TxnState.PrepareAbort, [['orders', [1]]], { producerEpoch: 4 }) },
      { id: 'app-1', r: record(TxnState.CompleteCommit, []) },
      { id: 'app-1', r: record(TxnState.CompleteAbort, [], { previousProducerId: 4241n }) },
      { id: 'ünïcode-id', r: record(TxnState.Ongoing, [['t', [0]]], { producerId: 9_007_199_254_740_993n, producerEpoch: 32766, timeoutMs: 900_000 }) },
    ];
    const input = cases.map((c) => `${encodeTransactionKey(c.id).toString('hex')} ${encodeTransactionValue(c.r).toString('hex')}`).join('\n') + '\n';
    const run = spawnSync('java', ['-cp', `${LIBS}/*`, ORACLE], { input, encoding: 'utf8', timeout: 120_000 });
    expect(run.status, run.stderr).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toHaveLength(cases.length);
    cases.forEach((c, i) => {
      const [status, key, value, state] = lines[i]!.split(' ');
      expect(status, lines[i]).toBe('ok');
      expect(state).toBe(KAFKA_NAMES[txnStateName(c.r.state)]);
      expect(key).toBe(encodeTransactionKey(c.id).toString('hex'));
      expect(value, `${txnStateName(c.r.state)} value`).toBe(encodeTransactionValue(c.r).toString('hex'));
    });
  });
});
