import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DecodeError } from './codec/decode-error.ts';
import { API_DEFINITIONS } from './generated/api-definitions.ts';
import { decodeRequest } from './headers/headers.ts';
import { decodeRecordBatch } from './records/record-batch.ts';

/**
 * Feeds random and mutated frames to the request decoder for a while. The only acceptable outcomes
 * are a decoded request or a DecodeError; anything else (a RangeError, a hang, a crash) is a bug.
 * Used by the CI test for a few seconds and by bench/protocol/fuzz.ts for minutes.
 */
export interface FuzzReport {
  iterations: number;
  decoded: number;
  rejected: number;
  failures: { input: string; error: string }[];
}

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x100000000;
  };
}

function seeds(): Buffer[] {
  const dir = join(import.meta.dirname, '../golden/fixtures');
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { file: string }[];
  return index.map((f) => readFileSync(join(dir, f.file)));
}

function mutate(input: Buffer, random: () => number): Buffer {
  const out = Buffer.from(input);
  const kind = Math.floor(random() * 5);
  const at = Math.floor(random() * out.length);
  switch (kind) {
    case 0: // flip bits
      for (let i = 0; i < 1 + random() * 4; i++) {
        const p = Math.floor(random() * out.length);
        out[p] = out[p]! ^ (1 << Math.floor(random() * 8));
      }
      return out;
    case 1: // truncate
      return out.subarray(0, at);
    case 2: // interesting values over a length field
      out.writeInt32BE([-1, -2, 0x7fffffff, 0, 1 << 20][Math.floor(random() * 5)]!, Math.min(at, Math.max(0, out.length - 4)));
      return out;
    case 3: // splice random bytes
      return Buffer.concat([out.subarray(0, at), Buffer.from(Array.from({ length: 1 + Math.floor(random() * 16) }, () => Math.floor(random() * 256))), out.subarray(at)]);
    default: // random body under a valid header prefix
      return Buffer.concat([out.subarray(0, 8), Buffer.from(Array.from({ length: Math.floor(random() * 64) }, () => Math.floor(random() * 256)))]);
  }
}

function randomFrame(random: () => number): Buffer {
  const keys = [...API_DEFINITIONS.keys()];
  const api = API_DEFINITIONS.get(keys[Math.floor(random() * keys.length)]!)!;
  const version = api.request.minVersion + Math.floor(random() * (api.request.maxVersion - api.request.minVersion + 1));
  const body = Buffer.from(Array.from({ length: Math.floor(random() * 128) }, () => (random() < 0.5 ? 0 : Math.floor(random() * 256))));
  const head = Buffer.alloc(8);
  head.writeInt16BE(api.apiKey, 0);
  head.writeInt16BE(version, 2);
  head.writeInt32BE(1, 4);
  return Buffer.concat([head, body]);
}

export function fuzzDecoders(durationMs: number, seed = Date.now()): FuzzReport {
  const random = rng(seed);
  const corpus = seeds();
  const report: FuzzReport = { iterations: 0, decoded: 0, rejected: 0, failures: [] };
  const deadline = Date.now() + durationMs;
  while (Date.now() < deadline && report.failures.length < 10) {
    const input = random() < 0.7 ? mutate(corpus[Math.floor(random() * corpus.length)]!, random) : randomFrame(random);
    report.iterations++;
    try {
      const req = decodeRequest(input);
      // Produce requests carry batches: their decoder must be as robust.
      if (req.api.name === 'Produce') {
        for (const t of (req.body as { topicData: { partitionData: { records: Buffer | null }[] }[] }).topicData) {
          for (const p of t.partitionData) if (p.records && p.records.length > 0) decodeRecordBatch(p.records);
        }
      }
      report.decoded++;
    } catch (err) {
      if (err instanceof DecodeError) report.rejected++;
      else report.failures.push({ input: input.toString('hex'), error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
    }
  }
  return report;
}
