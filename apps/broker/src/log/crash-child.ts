/**
 * Test helper process for crash.test.ts: appends numbered records to a partition log with
 * flush-per-message (group commit, several appends in flight) and tells the parent over IPC which
 * record numbers are durable. The parent kills it with SIGKILL at random moments.
 */
import { decodeRecordBatch, encodeRecordBatch, splitBatches } from '@tributary/protocol';
import { PartitionLog } from './partition-log.ts';

const dir = process.argv[2]!;
const log = new PartitionLog(dir, { segmentBytes: 16 * 1024, segmentMs: 3_600_000, flushIntervalMessages: 1, groupCommit: true });

// Continue numbering after the last record that survived.
let next = 0;
if (log.logEndOffset > 0) {
  const lastBatch = splitBatches(log.read(log.logEndOffset - 1, 1)).batches[0]!;
  const tail = decodeRecordBatch(log.read(log.logEndOffset - 1, 1).subarray(0, lastBatch.size));
  next = Number(tail.records.at(-1)!.value!.toString()) + 1;
}
process.send!({ ready: true, next, recovery: log.recovery });

const IN_FLIGHT = 4;
let inFlight = 0;
function pump(): void {
  while (inFlight < IN_FLIGHT) {
    const n = next;
    const count = 1 + (n % 3);
    next += count;
    const records = Array.from({ length: count }, (_, i) => ({ value: String(n + i), key: `k${(n + i) % 7}` }));
    const result = log.appendRecords(encodeRecordBatch({ records }), 0);
    inFlight++;
    void (result.durable ?? Promise.resolve()).then(() => {
      inFlight--;
      process.send!({ acked: [n, n + count - 1], offset: Number(result.baseOffset) });
      setImmediate(pump);
    });
  }
}
pump();
