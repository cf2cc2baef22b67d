import { execFile } from 'node:child_process';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { kafkaClasspath } from '@tributary/testkit';
import { KafkaAdminClient } from '@tributary/kafka-admin';
import { ensureJavaPrograms } from '../../test/support/java-client.ts';
import { KAFKA_JVM_PERFORMANCE_OPTS, PERF_TOOL_HEAP } from '../vs-kafka/jvm.ts';
import { startSubject, type SubjectName } from '../vs-kafka/subjects.ts';

/**
 * Transactions benchmark (issue 19): Kafka's Java client producing with transactions of 100 and
 * of 1,000 records next to plain idempotent produce, and reading that data with read_committed
 * next to read_uncommitted (test/java/src/tributary/compat/TxnPerf.java), against Apache Kafka
 * 4.4 and Tributary (one node each, started as bench/vs-kafka starts them) in the same run,
 * subjects alternating. Prints a markdown table and the load average. Measures, never fails on a
 * number. Usage: npm run bench:transactions -- [--records N] [--size BYTES]
 */
const { values } = parseArgs({ options: { records: { type: 'string', default: '100000' }, size: { type: 'string', default: '1024' }, help: { type: 'boolean', default: false } } });
if (values.help) {
  console.log('npm run bench:transactions -- [--records N (default 100000)] [--size BYTES (default 1024)]\nTransactional vs plain produce, read_committed vs read_uncommitted consume, Apache Kafka 4.4 and Tributary in one run.');
  process.exit(0);
}
const RECORDS = Number(values.records);
const SIZE = Number(values.size);
const ROOT = resolve(import.meta.dirname, '../..');

interface PerfResult {
  records: number;
  ms: number;
  recordsPerSec: number;
  mbPerSec: number;
}

function txnPerf(args: string[]): Promise<PerfResult> {
  const classpath = `${ROOT}/.cache/java-tests/classes:${kafkaClasspath()}`;
  return new Promise((done, fail) => {
    execFile('java', [PERF_TOOL_HEAP, ...KAFKA_JVM_PERFORMANCE_OPTS, '-cp', classpath, 'tributary.compat.TxnPerf', ...args], { timeout: 600_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
      if (!line) return fail(new Error(`TxnPerf ${args.join(' ')} printed no result (${err?.message ?? 'exit 0'}):\n${(stdout + stderr).slice(-3000)}`));
      done(JSON.parse(line.slice(7)) as PerfResult);
    });
  });
}

const ROWS = [
  { row: 'produce, no transactions', run: (b: string) => txnPerf(['produce', b, 'plain', String(RECORDS), String(SIZE), '0']) },
  { row: 'produce, transactions of 100 records', run: (b: string) => txnPerf(['produce', b, 'tx100', String(RECORDS), String(SIZE), '100']) },
  { row: 'produce, transactions of 1,000 records', run: (b: string) => txnPerf(['produce', b, 'tx1000', String(RECORDS), String(SIZE), '1000']) },
  { row: 'consume transactional data, read_uncommitted', run: (b: string) => txnPerf(['consume', b, 'tx100', String(RECORDS), 'read_uncommitted']) },
  { row: 'consume transactional data, read_committed', run: (b: string) => txnPerf(['consume', b, 'tx100', String(RECORDS), 'read_committed']) },
];

async function measure(name: SubjectName): Promise<PerfResult[]> {
  const subject = await startSubject(name, { nodes: 1 });
  try {
    const admin = await KafkaAdminClient.connect(subject.bootstrap.split(',')[0]!);
    try {
      await admin.createTopics(['plain', 'tx100', 'tx1000'].map((t) => ({ name: t, partitions: 3, replicationFactor: 1 })));
    } finally {
      admin.close();
    }
    const out: PerfResult[] = [];
    for (const r of ROWS) out.push(await r.run(subject.bootstrap));
    return out;
  } finally {
    await subject.stop();
  }
}

ensureJavaPrograms();
const load = loadavg()[0]!.toFixed(1);
const kafka = await measure('kafka');
const tributary = await measure('tributary');
console.log(`\nLoad average at the start: ${load}, at the end: ${loadavg()[0]!.toFixed(1)}; ${RECORDS} records of ${SIZE} B per row, 3 partitions, acks=all, idempotent.\n`);
console.log('| row | Apache Kafka | Tributary | Tributary / Kafka |');
console.log('| --- | --- | --- | --- |');
ROWS.forEach((r, i) => {
  const k = kafka[i]!;
  const t = tributary[i]!;
  console.log(`| ${r.row} | ${k.recordsPerSec} rec/s (${k.mbPerSec} MB/s) | ${t.recordsPerSec} rec/s (${t.mbPerSec} MB/s) | ${(t.recordsPerSec / k.recordsPerSec).toFixed(2)} |`);
});
