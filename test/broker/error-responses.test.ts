import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { API_DEFINITIONS, ErrorCode, Writer } from '@tributary/protocol';
import { HANDLERS } from '../../apps/broker/src/handlers/index.ts';
import { ERROR_RESPONSE_APIS, errorResponseFor } from '../../apps/broker/src/handlers/error-response.ts';
import { messageArbitrary } from '../../libs/protocol/scripts/arbitraries.ts';
import { SPEC_DIR } from '../../libs/protocol/scripts/generate.ts';
import { loadSpecs } from '../../libs/protocol/scripts/spec-model.ts';

// Defect 5 of issue 13: a handler that throws answers with its API's error response. Apache Kafka
// 4.4 is the oracle: random requests of every API and version the broker advertises are parsed by
// Kafka's own classes, Kafka's AbstractRequest.getErrorResponse builds the answer, and ours must be
// the same bytes (error code at every level, the same "unknown" offsets, ids and nulls).
const ROOT = resolve(import.meta.dirname, '../..');
const LIBS = resolve(ROOT, '.cache/kafka/libs');
const ORACLE = resolve(ROOT, 'test/support/kafka-oracle/ErrorResponses.java');
const SAMPLES = 6;

beforeAll(() => {
  execFileSync('bash', [resolve(ROOT, 'scripts/setup.d/10-kafka.sh')], { stdio: 'inherit' });
  if (!existsSync(LIBS)) throw new Error(`Apache Kafka's jars are missing from ${LIBS}: run bash scripts/setup.d/10-kafka.sh`);
}, 600_000);

interface Case {
  api: string;
  apiKey: number;
  version: number;
  body: Record<string, unknown>;
  hex: string;
}

/** Random requests (fixed seed) of every advertised API and version, encoded with our codecs. */
function cases(): Case[] {
  const specs = new Map(loadSpecs(SPEC_DIR).map((s) => [s.name, s]));
  const out: Case[] = [];
  for (const [apiKey, entry] of HANDLERS) {
    const api = API_DEFINITIONS.get(apiKey)!;
    const spec = specs.get(api.request.name)!;
    for (let version = entry.minVersion; version <= entry.maxVersion; version++) {
      const bodies = fc.sample(messageArbitrary(spec, version, 3), { numRuns: SAMPLES, seed: apiKey * 100 + version });
      for (const body of bodies) {
        const w = new Writer();
        api.request.encode(body as never, version, w);
        out.push({ api: api.name, apiKey, version, body, hex: w.toBuffer().toString('hex') });
      }
    }
  }
  return out;
}

function kafkaErrorResponses(all: Case[]): string[] {
  const input = all.map((c) => `${c.apiKey} ${c.version} ${c.hex}`).join('\n') + '\n';
  const run = spawnSync('java', ['-cp', `${LIBS}/*`, ORACLE], { input, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, timeout: 240_000 });
  if (run.status !== 0) throw new Error(`the Kafka oracle failed (${run.status}): ${run.stderr}`);
  return run.stdout.trim().split('\n');
}

describe('error responses of a handler that throws, against Kafka 4.4 getErrorResponse', () => {
  it('has an error response for every API the broker answers', () => {
    expect([...HANDLERS.keys()].filter((k) => !ERROR_RESPONSE_APIS.has(k))).toEqual([]);
  });

  it('answers every advertised API and version byte for byte as Kafka does', () => {
    const all = cases();
    const kafka = kafkaErrorResponses(all);
    expect(kafka).toHaveLength(all.length);
    const differences: string[] = [];
    let compared = 0;
    const coverage = new Map<string, number>();
    const removed = new Set<string>();
    all.forEach((c, i) => {
      const line = kafka[i]!;
      if (line === 'removed') removed.add(`${c.api} v${c.version}`);
      // Kafka refuses some random requests at parse time (e.g. a non-flexible string over 32767 bytes): nothing to compare.
      if (!line.startsWith('ok ')) return;
      const w = new Writer();
      const ours = errorResponseFor({ api: API_DEFINITIONS.get(c.apiKey)!, apiVersion: c.version, body: c.body }, ErrorCode.UNKNOWN_SERVER_ERROR);
      compared++;
      coverage.set(`${c.api} v${c.version}`, (coverage.get(`${c.api} v${c.version}`) ?? 0) + 1);
      try {
        API_DEFINITIONS.get(c.apiKey)!.response.encode(ours as never, c.version, w);
      } catch (err) {
        differences.push(`${c.api} v${c.version}: ours cannot be encoded (${(err as Error).message}): ${JSON.stringify(ours, jsonSafe)}`);
        return;
      }
      const mine = w.toBuffer();
      const theirs = Buffer.from(line.slice(3), 'hex');
      if (mine.equals(theirs)) return;
      // Kafka builds some answers through hash maps (Produce), so the order of topics and
      // partitions is arbitrary there: compare the decoded answers with every array sorted.
      const codec = API_DEFINITIONS.get(c.apiKey)!.response;
      const a = canonical(codec.decode(mine, c.version));
      const b = canonical(withoutLeakedMessage(c.api, codec.decode(theirs, c.version)));
      if (a !== b && !differences.some((d) => d.startsWith(`${c.api} v${c.version}:`))) differences.push(`${c.api} v${c.version}: ours ${a}\n  Kafka ${b}`);
    });
    expect(differences.join('\n')).toBe('');
    // Every advertised version was compared at least once (Kafka parsed at least one of its
    // samples), except those Kafka 4 removed (KIP-896: Produce v0–2, Fetch v0–3, …), which old
    // clients still use here; their answers follow the same builders.
    const missing: string[] = [];
    for (const [apiKey, entry] of HANDLERS) for (let v = entry.minVersion; v <= entry.maxVersion; v++) if (!coverage.has(`${API_DEFINITIONS.get(apiKey)!.name} v${v}`) && !removed.has(`${API_DEFINITIONS.get(apiKey)!.name} v${v}`)) missing.push(`${API_DEFINITIONS.get(apiKey)!.name} v${v}`);
    expect(missing).toEqual([]);
    expect(compared).toBeGreaterThan((all.length - [...removed].length * SAMPLES) / 2);
  }, 300_000);
});

/**
 * Kafka's UnregisterBrokerRequest.getErrorResponse copies the exception's own text
 * (Throwable.getMessage: the oracle's "handler failed") into errorMessage, even for
 * UNKNOWN_SERVER_ERROR; Tributary never sends an internal failure's text (as Kafka's ApiError does
 * for every other API), so that one field is left out of the comparison, for that API only.
 */
function withoutLeakedMessage(api: string, response: unknown): unknown {
  if (api !== 'UnregisterBroker') return response;
  return { ...(response as Record<string, unknown>), errorMessage: null };
}

/** JSON with every array sorted (by its elements' JSON), bigints and Buffers spelled out. */
function canonical(value: unknown): string {
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk).sort((x, y) => (JSON.stringify(x, jsonSafe) < JSON.stringify(y, jsonSafe) ? -1 : 1));
    if (Buffer.isBuffer(v)) return `<${v.toString('hex')}>`;
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).filter(([k]) => k !== '_unknownTaggedFields').map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return JSON.stringify(walk(value), jsonSafe);
}

function jsonSafe(_k: string, v: unknown): unknown {
  if (typeof v === 'bigint') return `${v}n`;
  if (v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer') return `<${((v as { data: number[] }).data ?? []).length} bytes>`;
  return v;
}
