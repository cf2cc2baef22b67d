/**
 * Compression codec candidates on 16 KiB and 1 MiB record sections (what a batch compresses).
 * Run: npm run bench:compression   (prints a Markdown table; results in bench/README.md)
 *
 * lz4-wasm-nodejs only speaks LZ4 blocks, not the frame format Kafka uses; it is listed as a
 * reference for raw block speed, not as a drop-in candidate.
 */
import { createRequire } from 'node:module';
import { gunzipSync, gzipSync, zstdCompressSync, zstdDecompressSync, constants as zlib } from 'node:zlib';
import { compress, Compression, decompress } from '@tributary/protocol';
import { machineLimits, mbps, rate } from '../lib/measure.ts';
import { eventValues } from './records-data.ts';
import { parseCli } from '@tributary/contracts/cli';
parseCli('bench:compression', `
Usage: npm run bench:compression   (--help, --version)

Compression codec candidates on 16 KiB and 1 MiB record sections.
Environment: BENCH_MS (time per row, default 800).
A benchmark, not a test: it takes the machine for its run; results go into bench/README.md.`, {});

const require = createRequire(import.meta.url);
type Bytes = Uint8Array;
const snappyWasm = require('snappy-wasm') as { compress_raw(b: Bytes): Bytes; decompress_raw(b: Bytes): Bytes };
const snappyNapi = require('snappy') as { compressSync(b: Buffer): Buffer; uncompressSync(b: Buffer, o?: { asBuffer: boolean }): Buffer };
const lz4Napi = require('lz4-napi') as { compressFrameSync(b: Buffer): Buffer; decompressFrameSync(b: Buffer): Buffer; compressSync(b: Buffer): Buffer; uncompressSync(b: Buffer): Buffer };
const lz4js = require('lz4js') as { compress(b: Bytes): Bytes; decompress(b: Bytes): Bytes };
const lz4Wasm = require('lz4-wasm-nodejs') as { compress(b: Bytes): Bytes; decompress(b: Bytes): Bytes };

interface Candidate {
  codec: string;
  name: string;
  compress(b: Buffer): Bytes;
  decompress(b: Buffer): Bytes;
}

const candidates: Candidate[] = [
  { codec: 'gzip', name: 'node:zlib level 1 (used)', compress: (b) => compress(Compression.gzip, b), decompress: (b) => decompress(Compression.gzip, b) },
  { codec: 'gzip', name: 'node:zlib level 6 (zlib default)', compress: (b) => gzipSync(b), decompress: (b) => gunzipSync(b) },
  { codec: 'snappy', name: 'snappy-wasm raw (used)', compress: (b) => compress(Compression.snappy, b), decompress: (b) => decompress(Compression.snappy, b) },
  { codec: 'snappy', name: 'snappy-wasm raw (direct calls, no wrapper)', compress: (b) => snappyWasm.compress_raw(b), decompress: (b) => snappyWasm.decompress_raw(b) },
  { codec: 'snappy', name: 'snappy (napi-rs)', compress: (b) => snappyNapi.compressSync(b), decompress: (b) => snappyNapi.uncompressSync(b, { asBuffer: true }) },
  { codec: 'lz4', name: 'lz4-napi frame + our bounded frame walker (used)', compress: (b) => compress(Compression.lz4, b), decompress: (b) => decompress(Compression.lz4, b) },
  { codec: 'lz4', name: 'lz4-napi frame (decompressFrameSync)', compress: (b) => lz4Napi.compressFrameSync(b), decompress: (b) => lz4Napi.decompressFrameSync(b) },
  { codec: 'lz4', name: 'lz4js frame (pure JS)', compress: (b) => lz4js.compress(b), decompress: (b) => lz4js.decompress(b) },
  { codec: 'lz4', name: 'lz4-napi block (reference, not Kafka format)', compress: (b) => lz4Napi.compressSync(b), decompress: (b) => lz4Napi.uncompressSync(b) },
  { codec: 'lz4', name: 'lz4-wasm-nodejs block (reference, not Kafka format)', compress: (b) => lz4Wasm.compress(b), decompress: (b) => lz4Wasm.decompress(b) },
  { codec: 'zstd', name: 'node:zlib zstd level 3 (used)', compress: (b) => compress(Compression.zstd, b), decompress: (b) => decompress(Compression.zstd, b) },
  { codec: 'zstd', name: 'node:zlib zstd level 1', compress: (b) => zstdCompressSync(b, { params: { [zlib.ZSTD_c_compressionLevel]: 1 } }), decompress: (b) => zstdDecompressSync(b) },
];

const rows: string[] = [];
for (const [k, v] of Object.entries(await machineLimits())) rows.push(`| machine: ${k} | ${v} | | | |`);
const all = Buffer.concat(eventValues(1100));
const ms = Number(process.env.BENCH_MS ?? 800);
for (const size of [16 * 1024, 1 << 20]) {
  const data = all.subarray(0, size);
  for (const c of candidates) {
    const packed = Buffer.from(c.compress(data));
    const back = Buffer.from(c.decompress(packed));
    if (!back.equals(data)) throw new Error(`${c.name} did not round-trip`);
    const comp = await rate(() => c.compress(data), size, ms);
    const decomp = await rate(() => c.decompress(packed), size, ms);
    const line = `| ${c.codec} | ${c.name} | ${size >> 10} KiB | ${(packed.length / size).toFixed(2)} | ${mbps(comp)} / ${mbps(decomp)} |`;
    console.error(line);
    rows.push(line);
  }
}
console.log('| codec | implementation | input | ratio | compress / decompress |\n| --- | --- | --- | --- | --- |');
for (const r of rows) console.log(r);
