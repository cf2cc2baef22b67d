import { createRequire } from 'node:module';
import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { encodeRecordBatch, Compression } from '@tributary/protocol';
import { decodeCursor, encodeCursor, filtersDigest } from './cursor.ts';
import { compileFilters, jsonEqual, parseJsonPath, valueAt } from './filters.ts';
import { idempotentIdentity, murmur2, partitionForKey } from './partitioner.ts';
import { mergeByTime, recordsOf } from './records.ts';
import { parsePayload, renderBytes, utf8Prefix } from './render.ts';

const require = createRequire(import.meta.url);

describe('render', () => {
  it('shows UTF-8 as text, other bytes as base64, JSON parsed when asked', () => {
    expect(renderBytes(Buffer.from('héllo'), 'auto', 100)).toEqual({ encoding: 'text', data: 'héllo', size: 6, truncated: false });
    expect(renderBytes(Buffer.from([0xff, 0x00, 0x80]), 'auto', 100)).toEqual({ encoding: 'base64', data: '/wCA', size: 3, truncated: false });
    expect(renderBytes(Buffer.from('{"a":[1,2]}'), 'json', 100)).toEqual({ encoding: 'json', data: { a: [1, 2] }, size: 11, truncated: false });
    expect(renderBytes(Buffer.from('not json'), 'json', 100)?.encoding).toBe('text');
    expect(renderBytes(Buffer.from('abc'), 'base64', 100)?.data).toBe('YWJj');
    expect(renderBytes(null, 'auto', 100)).toBeNull();
  });
  it('truncates to the bound at a UTF-8 boundary and states the full size', () => {
    const euro = Buffer.from('€€€'); // 3 bytes each
    expect(utf8Prefix(euro, 4).toString()).toBe('€');
    expect(renderBytes(euro, 'auto', 4)).toEqual({ encoding: 'text', data: '€', size: 9, truncated: true });
    // A long JSON document is shown as truncated text: a cut JSON document is not JSON.
    const doc = Buffer.from(JSON.stringify({ x: 'y'.repeat(100) }));
    expect(renderBytes(doc, 'json', 10)).toMatchObject({ encoding: 'text', size: doc.length, truncated: true });
    expect(renderBytes(Buffer.alloc(10, 0xff), 'auto', 4)).toEqual({ encoding: 'base64', data: Buffer.alloc(4, 0xff).toString('base64'), size: 10, truncated: true });
  });
  it('parses sent payloads and refuses malformed base64', () => {
    expect(parsePayload({ encoding: 'text', data: 'hi' })).toEqual(Buffer.from('hi'));
    expect(parsePayload({ encoding: 'base64', data: 'aGk=' })).toEqual(Buffer.from('hi'));
    expect(parsePayload({ encoding: 'json', data: { a: 1 } })).toEqual(Buffer.from('{"a":1}'));
    expect(typeof parsePayload({ encoding: 'base64', data: 'a*' })).toBe('string');
    expect(typeof parsePayload({ encoding: 'text', data: 5 })).toBe('string');
  });
});

describe('cursor', () => {
  it('round-trips and refuses tampering, other topics and other kinds', () => {
    const c = { kind: 'search' as const, topic: 't', positions: [{ partition: 0, next: 5n, end: 9n }, { partition: 2, next: 9007199254740993n, end: 9007199254740999n }], filters: 'abc' };
    const text = encodeCursor(c);
    expect(decodeCursor(text, { kind: 'search', topic: 't' })).toEqual(c);
    expect(decodeCursor(text, { kind: 'read', topic: 't' })).toMatch(/cannot continue/);
    expect(decodeCursor(text, { kind: 'search', topic: 'u' })).toMatch(/belongs to topic t/);
    expect(decodeCursor('!!', { kind: 'read', topic: 't' })).toMatch(/not a cursor/);
    const forged = deflateRawSync(JSON.stringify({ v: 1, k: 'r', t: 't', p: [[0, '-1']] })).toString('base64url');
    expect(decodeCursor(forged, { kind: 'read', topic: 't' })).toMatch(/not a cursor/);
    const dup = deflateRawSync(JSON.stringify({ v: 1, k: 'r', t: 't', p: [[0, '1'], [0, '2']] })).toString('base64url');
    expect(decodeCursor(dup, { kind: 'read', topic: 't' })).toMatch(/not a cursor/);
  });
  it('stays short for many partitions', () => {
    const positions = Array.from({ length: 500 }, (_, partition) => ({ partition, next: 1_000_000n + BigInt(partition * 7919 % 1000) }));
    expect(encodeCursor({ kind: 'read', topic: 'orders', positions }).length).toBeLessThan(8000);
  });
  it('digests filters independently of key order', () => {
    expect(filtersDigest({ a: 1, b: { c: 2, d: 3 } })).toBe(filtersDigest({ b: { d: 3, c: 2 }, a: 1 }));
    expect(filtersDigest({ a: 1 })).not.toBe(filtersDigest({ a: 2 }));
  });
});

describe('filters', () => {
  const rec = (key: string | null, value: string | null, headers: [string, string | null][] = []) => ({
    key: key === null ? null : Buffer.from(key), value: value === null ? null : Buffer.from(value), headers: headers.map(([k, v]) => ({ key: k, value: v === null ? null : Buffer.from(v) })),
  });
  it('parses JSON paths and reports what is wrong', () => {
    expect(parseJsonPath('$.a.b[2][\'c d\']["e"]')).toEqual(['a', 'b', 2, 'c d', 'e']);
    expect(parseJsonPath('$')).toEqual([]);
    expect(parseJsonPath('a.b')).toMatch(/starts with \$/);
    expect(parseJsonPath('$.')).toMatch(/member name/);
    expect(parseJsonPath('$[x]')).toMatch(/\[index\]/);
    expect(valueAt({ a: [{ b: 1 }] }, ['a', 0, 'b'])).toEqual({ found: true, value: 1 });
    expect(valueAt({ a: [] }, ['a', 0]).found).toBe(false);
    expect(jsonEqual({ a: 1, b: [1, { c: null }] }, { b: [1, { c: null }], a: 1 })).toBe(true);
    expect(jsonEqual({ a: 1 }, { a: '1' })).toBe(false);
  });
  it('combines filters with AND', () => {
    const f = compileFilters({ key: { prefix: 'order-' }, header: { name: 'src', value: 'web' }, valueContains: 'paid', jsonPath: { path: '$.total', equals: 10 } });
    if (!f.ok) throw new Error('expected ok');
    expect(f.test(rec('order-1', '{"status":"paid","total":10}', [['src', 'web']]))).toBe(true);
    expect(f.test(rec('order-1', '{"status":"paid","total":11}', [['src', 'web']]))).toBe(false);
    expect(f.test(rec('cart-1', '{"status":"paid","total":10}', [['src', 'web']]))).toBe(false);
    expect(f.test(rec('order-1', '{"status":"paid","total":10}', [['src', 'app']]))).toBe(false);
    expect(f.test(rec(null, null))).toBe(false);
    const eq = compileFilters({ key: { equals: 'AAE=', encoding: 'base64' } });
    if (!eq.ok) throw new Error('expected ok');
    expect(eq.test({ key: Buffer.from([0, 1]), value: null, headers: [] })).toBe(true);
    const present = compileFilters({ header: { name: 'trace' } });
    if (!present.ok) throw new Error('expected ok');
    expect(present.test(rec('k', 'v', [['trace', null]]))).toBe(true);
  });
  it('lists every malformed filter with its path', () => {
    const f = compileFilters({ key: { equals: 'a', prefix: 'b' }, jsonPath: { path: 'x', equals: 1 }, valueContains: '' });
    expect(f.ok).toBe(false);
    if (f.ok) return;
    expect(f.problems.map((p) => p.path).sort()).toEqual(['/filters/jsonPath/path', '/filters/key', '/filters/valueContains']);
    const none = compileFilters({});
    expect(!none.ok && none.problems[0]!.path).toBe('/filters');
  });
});

describe('partitioner', () => {
  it('puts keys where kafkajs\'s Java-compatible default partitioner does', () => {
    const { Partitioners } = require('kafkajs');
    const partitioner = Partitioners.DefaultPartitioner();
    const partitionMetadata = Array.from({ length: 7 }, (_, i) => ({ partitionId: i, leader: 0 }));
    for (let i = 0; i < 300; i++) {
      const key = `key-${i}-${'x'.repeat(i % 9)}`;
      expect(partitionForKey(Buffer.from(key), 7)).toBe(partitioner({ topic: 't', partitionMetadata, message: { key } }));
    }
    expect(typeof murmur2(Buffer.alloc(0))).toBe('number');
  });
  it('derives a stable producer id above every id a broker hands out', () => {
    const secret = Buffer.alloc(32, 7);
    const scope = { accountId: 'a', keyId: 'k', instanceId: 'i', topic: 't', idempotencyKey: 'x' };
    const one = idempotentIdentity(secret, scope);
    expect(idempotentIdentity(secret, scope)).toEqual(one);
    expect(one.producerId >= 1n << 62n && one.producerId < 1n << 63n).toBe(true);
    expect(idempotentIdentity(secret, { ...scope, idempotencyKey: 'y' }).producerId).not.toBe(one.producerId);
    expect(idempotentIdentity(Buffer.alloc(32, 8), scope).producerId).not.toBe(one.producerId);
  });
});

describe('records', () => {
  const batch = (base: bigint, ts: number, values: string[], extra: Partial<Parameters<typeof encodeRecordBatch>[0]> = {}) =>
    encodeRecordBatch({ baseOffset: base, baseTimestamp: ts, records: values.map((v, i) => ({ value: v, key: `k${i}`, timestamp: ts + i })), ...extra });
  it('keeps records in [from, end), skips control batches, and says how far whole batches reach', () => {
    const blob = Buffer.concat([batch(0n, 1000, ['a', 'b', 'c']), batch(3n, 2000, ['m'], { isControl: true }), batch(4n, 3000, ['d', 'e'], { compression: Compression.gzip })]);
    const got = recordsOf(0, blob, 1n, 6n);
    expect(got.records.map((r) => [Number(r.offset), r.record.value!.toString()])).toEqual([[1, 'b'], [2, 'c'], [4, 'd'], [5, 'e']]);
    expect(got.scannedTo).toBe(6n);
    const bounded = recordsOf(0, blob, 0n, 2n);
    expect(bounded.records.map((r) => Number(r.offset))).toEqual([0, 1]);
    expect(bounded.scannedTo).toBe(2n);
    // A partial batch at the end of a fetch is not read.
    const partial = recordsOf(0, Buffer.concat([batch(0n, 1000, ['a']), batch(1n, 1000, ['b']).subarray(0, 30)]), 0n, 10n);
    expect(partial.records).toHaveLength(1);
    expect(partial.scannedTo).toBe(1n);
  });
  it('merges partitions by time taking prefixes, within the count and byte bounds', () => {
    const a = recordsOf(0, batch(0n, 1000, ['a0', 'a1', 'a2']), 0n, 100n).records; // ts 1000,1001,1002
    const b = recordsOf(1, batch(0n, 1001, ['b0', 'b1']), 0n, 100n).records; // ts 1001,1002
    const runs = new Map([[0, a], [1, b]]);
    const all = mergeByTime(runs, 10, 1 << 20, 100);
    expect(all.taken.map((r) => r.record.value!.toString())).toEqual(['a0', 'a1', 'b0', 'a2', 'b1']);
    const three = mergeByTime(runs, 3, 1 << 20, 100);
    expect(three.taken.map((r) => r.record.value!.toString())).toEqual(['a0', 'a1', 'b0']);
    expect(three.takenPerPartition.get(0)).toBe(2);
    expect(three.takenPerPartition.get(1)).toBe(1);
    // The byte bound never leaves a page empty.
    expect(mergeByTime(runs, 10, 1, 100).taken).toHaveLength(1);
  });
});
