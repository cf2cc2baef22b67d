/**
 * Record batch speed on 1 MiB batches of 1000 × 1 KiB records: CRC32C, the broker's header + CRC
 * validation, full record decode, and encode/decode of the same batch under every codec.
 * Run: npm run bench:records   (prints a Markdown table; results in bench/README.md)
 */
import { crc32c } from '@node-rs/crc32';
import { Compression, decodeRecordBatch, encodeRecordBatch, splitBatches, validateProducedBlob, type CompressionName } from '@tributary/protocol';
import { gbps, machineLimits, mbps, rate } from '../lib/measure.ts';
import { megabyteOfRecords } from './records-data.ts';
import { parseCli } from '@tributary/contracts/cli';
parseCli('bench:records', `
Usage: npm run bench:records   (--help, --version)

Record batch speed on 1 MiB batches: CRC32C, validation, decode, every codec.
Environment: BENCH_MS (time per row, default 1500).
A benchmark, not a test: it takes the machine for its run; results go into bench/README.md.`, {});

const rows: [string, string, string][] = [];
const row = (what: string, result: string, goal = '') => {
  rows.push([what, result, goal]);
  console.error(`${what}: ${result}`);
};
const ms = Number(process.env.BENCH_MS ?? 1500);

const records = megabyteOfRecords();
const batch = encodeRecordBatch({ records, baseTimestamp: 1_700_000_000_000 });
const recordBytes = records.reduce((n, r) => n + r.key.length + r.value.length, 0);
for (const [k, v] of Object.entries(await machineLimits())) row(`machine: ${k}`, v);
row('batch', `${batch.length} bytes, ${records.length} records`);

row('CRC32C over the batch (@node-rs/crc32)', gbps(await rate(() => crc32c(batch), batch.length, ms)), '≥ 3 GB/s');
row('header + CRC validation (validateProducedBlob)', gbps(await rate(() => validateProducedBlob(batch, 2 << 20), batch.length, ms)), '≥ 2 GB/s');
const tenBatches = Buffer.concat(Array.from({ length: 10 }, () => batch));
row('splitBatches over 10 batches (headers only)', gbps(await rate(() => splitBatches(tenBatches), tenBatches.length, ms)));
row('full record decode, uncompressed (decodeRecordBatch)', gbps(await rate(() => decodeRecordBatch(batch), batch.length, ms)), '≥ 1 GB/s');
row('encode, uncompressed (encodeRecordBatch)', gbps(await rate(() => encodeRecordBatch({ records, baseTimestamp: 1_700_000_000_000 }), batch.length, ms)));

for (const name of ['gzip', 'snappy', 'lz4', 'zstd'] as CompressionName[]) {
  const compression = Compression[name];
  const packed = encodeRecordBatch({ records, compression, baseTimestamp: 1_700_000_000_000 });
  const enc = await rate(() => encodeRecordBatch({ records, compression, baseTimestamp: 1_700_000_000_000 }), recordBytes, ms);
  const dec = await rate(() => decodeRecordBatch(packed), recordBytes, ms);
  row(`${name}: encode / decode (record bytes per second; batch ${(packed.length / batch.length).toFixed(2)} of uncompressed)`, `${mbps(enc)} / ${mbps(dec)}`);
}

console.log('| measurement | result | goal |\n| --- | --- | --- |');
for (const [a, b, c] of rows) console.log(`| ${a} | ${b} | ${c} |`);
