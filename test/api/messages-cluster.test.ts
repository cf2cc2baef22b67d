import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { useMessagesHarness } from '../support/messages-harness.ts';

// Messages over HTTP on a 3-broker instance (brokers on etcd, a SASL listener each, ACLs and SCRAM
// credentials shared through etcd): the API's principal is provisioned once and accepted by every
// broker; reads, sends, searches and the tail go to each partition's leader, on different brokers.
const require = createRequire(import.meta.url);
const { Kafka, logLevel } = require('kafkajs');
const run = promisify(execFile);

const h = useMessagesHarness({ keys: { admin: 'admin' }, brokers: 3 });
const topic = 'replicated';
const call = (method: 'GET' | 'POST', url: string, body?: unknown, headers: Record<string, string> = {}) => h.call(method, url, 'admin', body, headers);
const messages = (suffix = '') => h.messages(topic, suffix);

beforeAll(async () => {
  await h.createTopic(topic, 6, 3);
  // Every partition has a leader on some broker, and the leaders are spread over the brokers.
  const leaders = await Promise.all([0, 1, 2, 3, 4, 5].map((p) => h.cluster.leaderOf(topic, p, { timeoutMs: 30_000 })));
  expect(new Set(leaders).size).toBeGreaterThan(1);
  await h.allow('admin', topic, ['READ', 'WRITE']);
}, 120_000);

describe('messages over HTTP on a 3-broker instance', () => {
  it('reads, sends once per Idempotency-Key, searches and tails across partition leaders', async () => {
    const kafka = new Kafka({ clientId: 'messages-cluster', brokers: h.bootstrap, logLevel: logLevel.NOTHING, retry: { retries: 8 } });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const needles = new Set<string>();
    await producer.send({
      topic, acks: -1,
      messages: Array.from({ length: 600 }, (_, i) => {
        const partition = i % 6;
        const offset = Math.floor(i / 6);
        if (offset % 23 === 4) needles.add(`${partition}/${offset}`);
        return { partition, key: offset % 23 === 4 ? `needle-${i}` : `k${i}`, value: `v${i}`, timestamp: String(1_790_000_000_000 + offset * 10) };
      }),
    });

    // Reads by offset and by time equal what kcat reads from each partition's leader.
    for (const p of [0, 3, 5]) {
      const { stdout } = await run('kcat', ['-C', '-b', h.bootstrap.join(','), '-t', topic, '-p', String(p), '-o', 'beginning', '-e', '-J', '-q'], { timeout: 60_000 });
      const expected = stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
      const page = await call('GET', messages(`?partition=${p}&offset=0&limit=1000`));
      expect(page.statusCode, page.body).toBe(200);
      expect(page.json().records.map((r: { offset: number; key: { data: string }; value: { data: string }; timestampMs: number }) => [r.offset, r.key.data, r.value.data, r.timestampMs]))
        .toEqual(expected.map((e: { offset: number; key: string; payload: string; ts: number }) => [e.offset, e.key, e.payload, e.ts]));
      const byTime = (await call('GET', messages(`?partition=${p}&timestamp=${1_790_000_000_000 + 505}&limit=1`))).json();
      expect(byTime.records[0].offset).toBe(51);
    }

    // Sends land on leaders across the brokers; a retry after a lost answer writes once.
    const sent: { partition: number; offset: number }[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await call('POST', messages(), { value: { encoding: 'text', data: `api-${i}` }, partition: i }, { 'idempotency-key': `k-${i}` });
      expect(r.statusCode, r.body).toBe(201);
      sent.push({ partition: r.json().partition, offset: r.json().offset });
    }
    await h.api.store.db.idempotencyRecord.deleteMany({ where: { keyId: h.keyIds.admin, idemKey: 'k-2' } });
    const again = await call('POST', messages(), { value: { encoding: 'text', data: 'api-2' }, partition: 2 }, { 'idempotency-key': 'k-2' });
    expect(again.statusCode, again.body).toBe(201);
    expect({ partition: again.json().partition, offset: again.json().offset }).toEqual(sent[2]);
    const p2 = (await call('GET', messages('?partition=2&offset=0&limit=1000'))).json();
    expect(p2.records.filter((r: { value: { data: string } }) => r.value.data === 'api-2')).toHaveLength(1);

    // A budgeted search over all six partitions finds every needle and resumes to the end.
    const found: string[] = [];
    let body: Record<string, unknown> = { filters: { key: { prefix: 'needle-' } }, limit: 5, budget: { maxRecords: 150, maxBytes: 1 << 20, maxMs: 20_000 } };
    let scanned = 0;
    for (let i = 0; i < 50; i++) {
      const res = (await call('POST', messages('/search'), body)).json();
      scanned += res.progress.scannedRecords;
      for (const m of res.matches) found.push(`${m.partition}/${m.offset}`);
      if (res.progress.complete) break;
      body = { ...body, cursor: res.nextCursor };
    }
    expect(found.sort()).toEqual([...needles].sort());
    expect(scanned).toBe(606);

    // The tail sees records kafkajs writes to every partition while it listens.
    const controller = new AbortController();
    const res = await h.fetch(messages('/tail?durationSeconds=60&maxRate=1000'), 'admin', { signal: controller.signal });
    expect(res.status).toBe(200);
    await producer.send({ topic, acks: -1, messages: Array.from({ length: 12 }, (_, i) => ({ partition: i % 6, value: `tail-${i}` })) });
    await producer.disconnect();
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const seen = new Set<string>();
    const deadline = Date.now() + 30_000;
    while (seen.size < 12 && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      for (const m of text.matchAll(/"value":\{"encoding":"text","data":"(tail-\d+)"/g)) seen.add(m[1]!);
    }
    controller.abort();
    expect(seen.size).toBe(12);
  }, 180_000);
});
