/**
 * Issue 21's worker-thread question, measured: what does handing a produced batch's CRC32C check
 * and decompression to worker_threads give on this machine? The work is what the broker's produce
 * handler does on its one thread for every batch (validateProducedBlob: header + CRC32C;
 * walkRecordBatch: decompression and the record walk, as record-validation.ts calls it), on the
 * batches of the bench:vs-kafka rows (1 KiB records; uncompressed, lz4, zstd; 16 KiB batches as the
 * Java producer's batch.size sends them, 1 MiB as librdkafka's). Inline runs it on the main thread;
 * the pool copies each batch into a transferable buffer, posts it to one of N workers and takes the
 * answer back, keeping 8 batches in flight (many partitions, many connections). Modes alternate,
 * round by round. Per mode: batches and records per second, the main thread's CPU per batch (what
 * the broker's event loop would spend) and the whole process's CPU per batch.
 * Run: npm run bench:offload -- [--rounds N] [--ms N]
 */
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import { loadavg, cpus } from 'node:os';
import { Compression, encodeRecordBatch, validateProducedBlob, walkRecordBatch, type CompressionName } from '@tributary/protocol';
import { parseCli } from '@tributary/contracts/cli';
import { eventValues } from './records-data.ts';

/** The broker's per-batch work: header + CRC32C, then every record walked (decompressed first). */
function validate(batch: Buffer): boolean {
  const checked = validateProducedBlob(batch, 2 << 20);
  if (!checked.ok) return false;
  let n = 0;
  walkRecordBatch(batch, { verifyCrc: false }, () => void n++);
  return n > 0;
}

if (!isMainThread) {
  parentPort!.on('message', (m: { id: number; bytes: ArrayBuffer }) => parentPort!.postMessage({ id: m.id, ok: validate(Buffer.from(m.bytes)) }));
} else {
  const cli = parseCli('bench:offload', `
Usage: npm run bench:offload -- [--rounds N] [--ms N]   (--help, --version)

The produce handler's CRC32C check and decompression of a batch on the main thread next to a
worker_threads pool (1 and 2 workers), on 1 KiB records uncompressed, lz4 and zstd, in 16 KiB and
1 MiB batches; modes alternate round by round; prints the load average and a Markdown table.
  --rounds N   rounds per mode (default 3; the table shows the median)
  --ms N       time per mode and row in a round (default 1500)
A benchmark, not a test: it takes the machine for its run (about a minute); results go into bench/README.md.`, {
    rounds: { type: 'string' },
    ms: { type: 'string' },
  });
  const ROUNDS = Number(cli.rounds ?? 3);
  const MS = Number(cli.ms ?? 1500);
  const IN_FLIGHT = 8;

  type Mode = 'inline' | 'pool of 1' | 'pool of 2';
  interface Sample { batchesPerSec: number; mainCpuUs: number; processCpuUs: number }
  const cpuUs = (u: NodeJS.CpuUsage) => u.user + u.system;

  /** Runs `once` for MS and reports rates and CPU per batch. */
  async function measure(once: () => Promise<void> | void): Promise<Sample> {
    const until = Date.now() + Math.min(300, MS / 4);
    while (Date.now() < until) await once(); // warm-up (JIT, worker start)
    const t0 = process.hrtime.bigint();
    const main0 = process.threadCpuUsage();
    const proc0 = process.cpuUsage();
    let n = 0;
    const end = Date.now() + MS;
    while (Date.now() < end) {
      await once();
      n++;
    }
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    return { batchesPerSec: n / seconds, mainCpuUs: cpuUs(process.threadCpuUsage(main0)) / n, processCpuUs: cpuUs(process.cpuUsage(proc0)) / n };
  }

  /** A pool that keeps IN_FLIGHT batches posted; `once` resolves when the oldest is answered. */
  function pool(size: number, batch: Buffer) {
    const workers = Array.from({ length: size }, () => new Worker(new URL(import.meta.url)));
    const waiting = new Map<number, () => void>();
    for (const w of workers) w.on('message', (m: { id: number; ok: boolean }) => {
      if (!m.ok) throw new Error('a worker refused a valid batch');
      waiting.get(m.id)!();
      waiting.delete(m.id);
    });
    let next = 0;
    const inFlight: Promise<void>[] = [];
    const post = () => {
      const id = next++;
      // The broker's request buffer is a slice of a socket read: a copy is what a worker can own.
      const bytes = new ArrayBuffer(batch.length);
      batch.copy(Buffer.from(bytes));
      inFlight.push(new Promise<void>((done) => waiting.set(id, done)));
      workers[id % size]!.postMessage({ id, bytes }, [bytes]);
    };
    return {
      once: async () => {
        while (inFlight.length < IN_FLIGHT) post();
        await inFlight.shift();
      },
      close: async () => {
        await Promise.all(inFlight);
        await Promise.all(workers.map((w) => w.terminate()));
      },
    };
  }

  const rows: { name: string; batch: Buffer; records: number }[] = [];
  for (const codec of ['none', 'lz4', 'zstd'] as CompressionName[]) {
    for (const [label, count] of [['16 KiB', 16], ['1 MiB', 1000]] as const) {
      const records = eventValues(count).map((value, i) => ({ key: Buffer.from(`key-${i}`), value }));
      rows.push({ name: `${codec}, ${label} batches (${count} × 1 KiB)`, batch: encodeRecordBatch({ records, compression: Compression[codec], baseTimestamp: Date.now() }), records: count });
    }
  }

  const modes: Mode[] = ['inline', 'pool of 1', 'pool of 2'];
  const samples = new Map<string, Sample[]>();
  const load0 = loadavg()[0]!;
  for (let round = 0; round < ROUNDS; round++) {
    // Each round starts with a different mode, so a drift in the machine's load hits all three.
    const order = modes.map((_, i) => modes[(i + round) % modes.length]!);
    for (const row of rows) {
      for (const mode of order) {
        let s: Sample;
        if (mode === 'inline') s = await measure(() => void validate(row.batch));
        else {
          const p = pool(mode === 'pool of 1' ? 1 : 2, row.batch);
          s = await measure(p.once);
          await p.close();
        }
        const key = `${row.name}\0${mode}`;
        samples.set(key, [...(samples.get(key) ?? []), s]);
        console.error(`round ${round + 1} | ${row.name} | ${mode} | ${(s.batchesPerSec * row.records).toFixed(0)} records/s | main ${s.mainCpuUs.toFixed(1)} µs, process ${s.processCpuUs.toFixed(1)} µs per batch | load ${loadavg()[0]!.toFixed(1)}`);
      }
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(`\n## Produce validation on the main thread or in worker threads — ${new Date().toISOString().slice(0, 16)} UTC, ${cpus().length} cores, Node ${process.version}, load average ${load0.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end; ${ROUNDS} rounds, median\n`);
  console.log('| batches | mode | records/s | main-thread CPU per batch | process CPU per batch |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const row of rows) {
    for (const mode of modes) {
      const s = samples.get(`${row.name}\0${mode}`)!;
      console.log(`| ${row.name} | ${mode} | ${median(s.map((x) => x.batchesPerSec * row.records)).toFixed(0)} | ${median(s.map((x) => x.mainCpuUs)).toFixed(1)} µs | ${median(s.map((x) => x.processCpuUs)).toFixed(1)} µs |`);
    }
  }
}
