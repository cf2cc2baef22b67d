import { createRequire } from 'node:module';
import { describe, expect, it, beforeAll } from 'vitest';
import { Redis } from 'ioredis';
import { useMessagesHarness } from '../support/messages-harness.ts';
import { until } from '../support/until.ts';
import { MessageQuota } from '../../apps/api/src/messages/quota.ts';
import type { ApiError } from '../../apps/api/src/errors.ts';

// Messages over HTTP against a real broker with a SASL_PLAINTEXT listener and ACLs: the API reads
// and writes as each API key's own Kafka principal (User:tributary-api.<key id>), so the broker's
// ACLs decide. kcat is the reference reader; kafkajs produces. Status is written as the operator would.
const require = createRequire(import.meta.url);
const { Kafka, logLevel, CompressionTypes } = require('kafkajs');

const h = useMessagesHarness({ keys: { admin: 'admin', viewer: 'viewer', stranger: 'operator' }, brokers: 1 });
const { call, messages, allow, createTopic, kcatRead, principal } = h;
let kafka: InstanceType<typeof Kafka>;
beforeAll(() => {
  kafka = new Kafka({ clientId: 'messages-test', brokers: h.bootstrap, logLevel: logLevel.NOTHING, retry: { retries: 5 } });
});


describe('reading messages', () => {
  const topic = 'orders';
  const base0 = 1_790_000_000_000;
  beforeAll(async () => {
    await createTopic(topic, 3);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    // 3 × 40 records with increasing timestamps, headers, one gzip batch per partition.
    for (let p = 0; p < 3; p++) {
      await producer.send({
        topic, acks: -1, compression: CompressionTypes.GZIP,
        messages: Array.from({ length: 40 }, (_, i) => ({ partition: p, key: `k-${p}-${i}`, value: JSON.stringify({ p, i, note: 'é' }), timestamp: String(base0 + i * 1000 + p), headers: { source: `s${i % 3}` } })),
      });
    }
    await producer.disconnect();
    await allow('admin', topic, ['READ', 'WRITE']);
    await allow('viewer', topic, ['READ']);
  }, 60_000);

  it('reads a partition by offset exactly as kcat does', async () => {
    const expected = await kcatRead(topic, 1);
    expect(expected).toHaveLength(40);
    const r = await call('GET', messages(topic, '?partition=1&offset=0&limit=1000'));
    expect(r.statusCode, r.body).toBe(200);
    const page = r.json();
    expect(page.principal).toBe(principal('admin'));
    expect(page.isolation).toBe('read_uncommitted');
    expect(page.records.map((x: { offset: number; timestampMs: number; key: { data: string }; value: { data: string }; headers: { key: string; value: { data: string } }[] }) => ({
      offset: x.offset, ts: x.timestampMs, key: x.key.data, payload: x.value.data, headers: x.headers.flatMap((h) => [h.key, h.value.data]),
    }))).toEqual(expected.map((e) => ({ offset: e.offset, ts: e.ts, key: e.key, payload: e.payload, headers: e.headers })));
    expect(page.nextCursor).toBeUndefined();
    expect(page.partitions).toEqual([{ partition: 1, startOffset: 0, endOffset: 40, nextOffset: 40 }]);
    // From the middle, and JSON values parsed on request.
    const mid = (await call('GET', messages(topic, '?partition=1&offset=25&limit=2&format=json'))).json();
    expect(mid.records.map((x: { offset: number }) => x.offset)).toEqual([25, 26]);
    expect(mid.records[0].value).toEqual({ encoding: 'json', data: { p: 1, i: 25, note: 'é' }, size: expected[25]!.payload!.length + 1, truncated: false });
  });

  it('reads by timestamp as kcat does (-o s@ts)', async () => {
    const at = base0 + 17_500;
    const expected = await kcatRead(topic, 2, `s@${at}`);
    const r = await call('GET', messages(topic, `?partition=2&timestamp=${at}&limit=1000`));
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json().records.map((x: { offset: number }) => x.offset)).toEqual(expected.map((e) => e.offset));
    expect(expected[0]!.offset).toBe(18);
    // ISO 8601 works the same; across all partitions every partition starts at its first record at/after the time.
    const all = (await call('GET', messages(topic, `?timestamp=${new Date(at).toISOString()}&limit=3`))).json();
    expect(all.records.map((x: { partition: number; offset: number }) => [x.partition, x.offset])).toEqual([[0, 18], [1, 18], [2, 18]]);
  });

  it('pages through every partition with the cursor: every record once, merged by time', async () => {
    const seen: string[] = [];
    let url = messages(topic, '?limit=7&maxBytes=1024');
    for (let pages = 0; pages < 100; pages++) {
      const page = (await call('GET', url)).json();
      for (const rec of page.records) seen.push(`${rec.partition}/${rec.offset}`);
      const ts = page.records.map((x: { timestampMs: number }) => x.timestampMs);
      expect(ts).toEqual([...ts].sort((a, b) => a - b));
      if (!page.nextCursor) break;
      url = messages(topic, `?limit=7&maxBytes=1024&cursor=${page.nextCursor}`);
    }
    expect(seen).toHaveLength(120);
    expect(new Set(seen).size).toBe(120);
    // from=latest: the last `limit` records of each partition, merged by time.
    const latest = (await call('GET', messages(topic, '?from=latest&limit=2'))).json();
    expect(latest.records.map((x: { partition: number; offset: number }) => `${x.partition}/${x.offset}`)).toEqual(['0/38', '1/38']);
    expect(latest.partitions.map((p: { nextOffset: number }) => p.nextOffset)).toEqual([39, 39, 38]);
  });

  it('truncates large values to the bound, and fetches one record whole', async () => {
    const big = 'x'.repeat(10_000) + '€';
    const sent = await call('POST', messages(topic), 'admin', { key: { encoding: 'text', data: 'big' }, value: { encoding: 'text', data: big }, partition: 0 });
    expect(sent.statusCode, sent.body).toBe(201);
    const { offset } = sent.json();
    const page = (await call('GET', messages(topic, `?partition=0&offset=${offset}&limit=1&maxValueBytes=100`))).json();
    expect(page.records[0].value).toEqual({ encoding: 'text', data: 'x'.repeat(100), size: 10_003, truncated: true });
    const whole = await call('GET', messages(topic, `/0/${offset}`));
    expect(whole.statusCode, whole.body).toBe(200);
    expect(whole.json().value).toEqual({ encoding: 'text', data: big, size: 10_003, truncated: false });
  });

  it('answers bad positions with problem+json naming the field', async () => {
    const expect422 = async (query: string, path: string, where = 'query') => {
      const r = await call('GET', messages(topic, query));
      expect(r.statusCode, `${query}: ${r.body}`).toBe(422);
      expect(r.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(r.json().errors.map((e: { in: string; path: string }) => `${e.in}${e.path}`)).toContain(`${where}${path}`);
    };
    await expect422('?partition=0&offset=-1', '/offset');
    await expect422('?partition=0&offset=1000', '/offset');
    await expect422('?partition=7&offset=0', '/partition');
    await expect422('?offset=3', '/offset');
    await expect422('?cursor=not-a-cursor', '/cursor');
    await expect422('?partition=0&offset=1&timestamp=5', '/offset');
    await expect422('/0/999', '/offset', 'params');
    await expect422('/9/0', '/partition', 'params');
    const search = await call('POST', messages(topic, '/search'), 'admin', { filters: { jsonPath: { path: 'status', equals: 1 }, key: { equals: 'a', prefix: 'b' } } });
    expect(search.statusCode).toBe(422);
    expect(search.json().errors.map((e: { path: string }) => e.path).sort()).toEqual(['/filters/jsonPath/path', '/filters/key']);
    const missing = await call('GET', messages('no-such-topic', '?limit=1'));
    expect([403, 404]).toContain(missing.statusCode);
  });

  it('refuses times and offsets before the log start once retention removed records', async () => {
    await createTopic('aged', 1);
    await allow('admin', 'aged', ['READ', 'WRITE']);
    const t0 = 1_795_000_000_000;
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'aged', acks: -1, messages: Array.from({ length: 10 }, (_, i) => ({ value: `a${i}`, timestamp: String(t0 + i * 1000) })) });
    await producer.disconnect();
    const early = (await call('GET', messages('aged', '?limit=2'))).json();
    const admin = kafka.admin();
    await admin.connect();
    await admin.fetchTopicMetadata({ topics: ['aged'] }); // kafkajs routes DeleteRecords from its metadata cache
    await admin.deleteTopicRecords({ topic: 'aged', partitions: [{ partition: 0, offset: '5' }] });
    await admin.disconnect();
    const tooEarly = await call('GET', messages('aged', `?timestamp=${t0 + 1000}`));
    expect(tooEarly.statusCode, tooEarly.body).toBe(422);
    expect(tooEarly.json().errors[0]).toMatchObject({ in: 'query', path: '/timestamp' });
    const inRange = (await call('GET', messages('aged', `?timestamp=${t0 + 6500}&limit=10`))).json();
    expect(inRange.records.map((r: { offset: number }) => r.offset)).toEqual([7, 8, 9]);
    expect((await call('GET', messages('aged', '?partition=0&offset=2'))).json().errors[0].path).toBe('/offset');
    const stale = await call('GET', messages('aged', `?cursor=${early.nextCursor}`));
    expect(stale.statusCode).toBe(422);
    expect(stale.json().errors[0].path).toBe('/cursor');
    expect((await call('GET', messages('aged', '?limit=10'))).json().records.map((r: { offset: number }) => r.offset)).toEqual([5, 6, 7, 8, 9]);
  });

  it('refuses a principal without READ with 403 naming the principal and the ACL, and leaves an AuditEvent', async () => {
    const r = await call('GET', messages(topic, '?limit=1'), 'stranger');
    expect(r.statusCode, r.body).toBe(403);
    expect(r.json().code).toBe('kafka-acl-denied');
    expect(r.json().detail).toContain(principal('stranger'));
    expect(r.json().detail).toMatch(/DESCRIBE|READ/);
    // DESCRIBE alone lets it see the topic but not read it.
    await allow('stranger', topic, ['DESCRIBE']);
    const read = await call('GET', messages(topic, '?limit=1'), 'stranger');
    expect(read.statusCode, read.body).toBe(403);
    expect(read.json().detail).toMatch(/to READ topic orders/);
    const events = await h.api.store.db.auditEvent.findMany({ where: { keyId: h.keyIds.stranger, action: 'messages.read' } });
    expect(events.length).toBeGreaterThanOrEqual(2);
    expect(events.at(-1)!.detail).toMatchObject({ principal: principal('stranger'), outcome: 'kafka-acl-denied' });
    const mine = await h.api.store.db.auditEvent.findMany({ where: { keyId: h.keyIds.admin, action: 'messages.read', targetId: `${h.instanceId}/${topic}` } });
    expect(mine.length).toBeGreaterThan(0);
    expect(mine[0]!.detail).toMatchObject({ outcome: 'ok', principal: principal('admin') });
  });

  it('lets viewers read and search but never send; the browsing switch turns reads off', async () => {
    expect((await call('GET', messages(topic, '?limit=1'), 'viewer')).statusCode).toBe(200);
    expect((await call('POST', messages(topic, '/search'), 'viewer', { filters: { valueContains: '"i":3' } })).statusCode).toBe(200);
    const send = await call('POST', messages(topic), 'viewer', { value: { encoding: 'text', data: 'nope' } });
    expect(send.statusCode).toBe(403);
    expect(send.json().code).toBe('forbidden');

    const off = await call('PUT', `/v1/instances/${h.instanceId}`, 'admin', { labels: {}, spec: { ...h.spec, messageBrowsing: 'disabled' } });
    expect(off.statusCode, off.body).toBe(202);
    expect(off.json().resource.spec.messageBrowsing).toBe('disabled');
    expect((await call('GET', `/v1/instances/${h.instanceId}`)).json().spec.messageBrowsing).toBe('disabled');
    for (const [method, url, body] of [['GET', messages(topic, '?limit=1')], ['GET', messages(topic, '/0/0')], ['POST', messages(topic, '/search'), { filters: { valueContains: 'x' } }], ['GET', messages(topic, '/export')], ['GET', messages(topic, '/tail')]] as const) {
      const r = await call(method, url, 'admin', body);
      expect(r.statusCode, `${method} ${url}`).toBe(403);
      expect(r.json().code).toBe('message-browsing-disabled');
    }
    // Sends are not browsing: roles and ACLs still decide them.
    expect((await call('POST', messages(topic), 'admin', { value: { encoding: 'text', data: 'while-off' }, partition: 0 })).statusCode).toBe(201);
    // Anything but enabled or disabled is refused with the field path.
    const bad = await call('PUT', `/v1/instances/${h.instanceId}`, 'admin', { labels: {}, spec: { ...h.spec, messageBrowsing: 'off' } });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().errors.map((e: { path: string }) => e.path)).toEqual(['/spec/messageBrowsing']);
    const on = await call('PUT', `/v1/instances/${h.instanceId}`, 'admin', { labels: {}, spec: h.spec });
    expect(on.statusCode).toBe(202);
    expect(on.json().resource.spec.messageBrowsing).toBe('enabled');
    expect((await call('GET', messages(topic, '?limit=1'))).statusCode).toBe(200);
  });
});

describe('byte quota', () => {
  // Runs on the topic the reading tests filled (orders: 3 partitions of small records, one of 10 kB).
  const topic = 'orders';
  type Who = 'admin' | 'viewer' | 'stranger';

  it('refuses reads, searches, exports and sends past the key\'s or the instance\'s bytes with 429 and Retry-After', async () => {
    const app = await h.api.newApp({ messageQuota: { keyBytes: 3000, instanceBytes: 5000, windowMs: 60_000 } });
    const as = (who: Who, method: 'GET' | 'POST', url: string, body?: unknown) => h.api.call(method, url, { app, key: h.api.keys[who], ...(body !== undefined ? { body } : {}) });
    /** Reads pages of one partition (round robin) until refused; the bytes of record data received. */
    const drain = async (who: Who) => {
      let bytes = 0;
      for (let i = 0; i < 200; i++) {
        const r = await as(who, 'GET', messages(topic, `?partition=${i % 2}&offset=0&limit=50`));
        if (r.statusCode === 429) return { bytes, refused: r };
        expect(r.statusCode, r.body).toBe(200);
        bytes += r.json().records.reduce((n: number, x: { size: number }) => n + x.size, 0);
      }
      throw new Error('never refused');
    };
    const admin = await drain('admin');
    // Reads are clamped to what is left: at most one record past the window's bytes.
    expect(admin.bytes).toBeGreaterThanOrEqual(3000);
    expect(admin.bytes).toBeLessThan(3000 + 200);
    expect(admin.refused.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(admin.refused.json().code).toBe('message-quota-exceeded');
    expect(admin.refused.json().detail).toContain(`API key ${h.keyIds.admin}`);
    const retryAfter = Number(admin.refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    for (const [method, url, body] of [['POST', messages(topic, '/search'), { filters: { valueContains: 'x' } }], ['GET', messages(topic, '/export')], ['GET', messages(topic, '/0/0')], ['POST', messages(topic), { value: { encoding: 'text', data: 'x' } }]] as const) {
      const r = await as('admin', method, url, body);
      expect(r.statusCode, `${method} ${url}`).toBe(429);
      expect(r.json().code).toBe('message-quota-exceeded');
    }
    // Another key of the same instance reads on until the instance's window is used up.
    const viewer = await drain('viewer');
    expect(admin.bytes + viewer.bytes).toBeGreaterThanOrEqual(5000);
    expect(viewer.bytes).toBeLessThan(3000);
    expect(viewer.refused.json().detail).toContain(`instance ${h.instanceId}`);
    // The refusal is audited like any other outcome; the main app (its own windows) still reads.
    const audited = await h.api.store.db.auditEvent.findMany({ where: { keyId: h.keyIds.viewer, action: 'messages.read' }, orderBy: { id: 'desc' }, take: 1 });
    expect(audited[0]!.detail).toMatchObject({ outcome: 'message-quota-exceeded' });
    expect((await call('GET', messages(topic, '?limit=1'), 'viewer')).statusCode).toBe(200);
  });

  it('opens again when the window ends, and paces an export through windows instead of cutting it', async () => {
    // A window long enough that a loaded machine's reads do not outlast it before the quota is used up.
    const app = await h.api.newApp({ messageQuota: { keyBytes: 1500, instanceBytes: 1_000_000, windowMs: 5_000 } });
    const url = messages(topic, '?partition=2&offset=0&limit=1000');
    let refused = await h.api.call('GET', url, { app });
    expect(refused.statusCode, refused.body).toBe(200);
    for (let i = 0; i < 50 && refused.statusCode === 200; i++) refused = await h.api.call('GET', url, { app });
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(5);
    await until(async () => (await h.api.call('GET', url, { app })).statusCode === 200, 'the next window', 20_000);
    // The whole topic is several windows' worth: the export waits for each and ends complete.
    const expected = (await Promise.all([0, 1, 2].map((p) => h.kcatRead(topic, p)))).flat().length;
    const paced = await h.api.newApp({ messageQuota: { keyBytes: 4000, instanceBytes: 1_000_000, windowMs: 1_000 } });
    await paced.listen({ port: 0, host: '127.0.0.1' });
    const address = paced.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const res = await fetch(`http://127.0.0.1:${port}${messages(topic, '/export')}`, { headers: { authorization: `Bearer ${h.api.keys.admin}` } });
    expect(res.status).toBe(200);
    const lines = (await res.text()).trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(expected);
    // The AuditEvent is written once the stream has ended (after the last byte reached the client).
    const exported = await until(async () => {
      const [last] = await h.api.store.db.auditEvent.findMany({ where: { keyId: h.keyIds.admin, action: 'messages.export' }, orderBy: { id: 'desc' }, take: 1 });
      return last && (last.detail as { outcome?: string } | null)?.outcome === 'ok' ? last : null;
    }, 'the export audited');
    expect(exported.detail).toMatchObject({ outcome: 'ok', reason: 'end', records: expected });
  }, 60_000);

  it('counts in Redis, shared by every API process, when the app has Redis', async () => {
    const redis = new Redis(h.api.services.redisUrl);
    try {
      const options = { keyBytes: 500, instanceBytes: 1000, windowMs: 60_000 };
      const one = new MessageQuota(options, redis);
      const other = new MessageQuota(options, redis);
      const lease = await one.acquire('key-a', 'ins-q');
      expect(lease.remaining).toBe(500);
      await lease.charge(600);
      const refused = await other.acquire('key-a', 'ins-q').then(() => null, (e: ApiError) => e);
      expect(refused?.code).toBe('message-quota-exceeded');
      expect(Number(refused?.headers?.['retry-after'])).toBeGreaterThan(55);
      expect((await other.acquire('key-b', 'ins-q')).remaining).toBe(400); // the instance's 1000 less key-a's 600
      expect(await redis.pttl('tributary:msgbytes:key:key-a')).toBeGreaterThan(55_000);
    } finally {
      redis.disconnect();
    }
  });
});

describe('sending messages', () => {
  const topic = 'sends';
  beforeAll(async () => {
    await createTopic(topic, 4);
    await allow('admin', topic, ['READ', 'WRITE']);
  });

  it('sends text, JSON and base64 with headers, then reads them back', async () => {
    const r = await call('POST', messages(topic), 'admin', {
      key: { encoding: 'text', data: 'customer-7' },
      value: { encoding: 'json', data: { total: 12.5, items: ['a'] } },
      headers: [{ key: 'bin', value: { encoding: 'base64', data: Buffer.from([0, 255, 1]).toString('base64') } }, { key: 'none', value: null }],
    });
    expect(r.statusCode, r.body).toBe(201);
    const sent = r.json();
    expect(sent.principal).toBe(principal('admin'));
    // Keyed: where Kafka's default partitioner puts the key (kafkajs agrees).
    const { Partitioners } = require('kafkajs');
    expect(sent.partition).toBe(Partitioners.DefaultPartitioner()({ topic, partitionMetadata: [0, 1, 2, 3].map((partitionId) => ({ partitionId, leader: 1 })), message: { key: 'customer-7' } }));
    const back = (await call('GET', messages(topic, `/${sent.partition}/${sent.offset}?format=json`))).json();
    expect(back.key.data).toBe('customer-7');
    expect(back.value.data).toEqual({ total: 12.5, items: ['a'] });
    expect(back.headers).toEqual([{ key: 'bin', value: { encoding: 'base64', data: 'AP8B', size: 3, truncated: false } }, { key: 'none', value: null }]);
    // kcat reads the same bytes.
    const kc = await kcatRead(topic, sent.partition);
    expect(kc.find((m) => m.offset === sent.offset)!.payload).toBe('{"total":12.5,"items":["a"]}');
  });

  it('refuses malformed payloads, unknown partitions and oversized records with the field path', async () => {
    const badB64 = await call('POST', messages(topic), 'admin', { value: { encoding: 'base64', data: '***' } });
    expect(badB64.statusCode).toBe(422);
    expect(badB64.json().errors[0].path).toBe('/value/data');
    const part = await call('POST', messages(topic), 'admin', { value: { encoding: 'text', data: 'x' }, partition: 4 });
    expect(part.statusCode).toBe(422);
    expect(part.json().errors[0].path).toBe('/partition');
    const big = await call('POST', messages(topic), 'admin', { value: { encoding: 'text', data: 'y'.repeat(950 * 1024) } });
    expect(big.statusCode).toBe(413);
    expect(big.json().errors[0].path).toBe('/value');
  });

  it('writes once for a retried Idempotency-Key, also when the API lost the first answer', async () => {
    const body = { value: { encoding: 'text', data: 'pay-once' } };
    const first = await call('POST', messages(topic), 'admin', body, { 'idempotency-key': 'pay-1' });
    expect(first.statusCode, first.body).toBe(201);
    expect(first.json().idempotent).toBe(true);
    const replay = await call('POST', messages(topic), 'admin', body, { 'idempotency-key': 'pay-1' });
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.json()).toEqual(first.json());
    // As if the API had died after the broker wrote but before the answer was stored: the broker's
    // idempotent-producer state recognises the retry and answers the first offset.
    // (The stored answer is removed, as if it had never been written.)
    await h.api.store.db.idempotencyRecord.deleteMany({ where: { keyId: h.keyIds.admin, idemKey: 'pay-1' } });
    const retry = await call('POST', messages(topic), 'admin', body, { 'idempotency-key': 'pay-1' });
    expect(retry.statusCode, retry.body).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
    expect({ partition: retry.json().partition, offset: retry.json().offset }).toEqual({ partition: first.json().partition, offset: first.json().offset });
    const copies = (await kcatRead(topic, first.json().partition)).filter((m) => m.payload === 'pay-once');
    expect(copies).toHaveLength(1);
    // Another key writes again.
    const other = await call('POST', messages(topic), 'admin', body, { 'idempotency-key': 'pay-2' });
    expect(other.statusCode).toBe(201);
    expect(await h.api.store.db.auditEvent.count({ where: { keyId: h.keyIds.admin, action: 'messages.send' } })).toBeGreaterThanOrEqual(4);
  });

  it('refuses a send without a WRITE ACL (403 with the reason)', async () => {
    const r = await call('POST', messages(topic), 'stranger', { value: { encoding: 'text', data: 'x' } });
    expect(r.statusCode, r.body).toBe(403);
    expect(r.json().code).toBe('kafka-acl-denied');
    expect(r.json().detail).toContain(principal('stranger'));
  });
});

describe('searching', () => {
  const topic = 'haystack';
  const needles = new Set<string>();
  beforeAll(async () => {
    await createTopic(topic, 3);
    await allow('admin', topic, ['READ', 'WRITE']);
    const producer = kafka.producer();
    await producer.connect();
    for (let p = 0; p < 3; p++) {
      const batch = Array.from({ length: 2000 }, (_, i) => {
        const needle = i % 397 === 5;
        if (needle) needles.add(`${p}/${i}`);
        return { partition: p, key: needle ? `needle-${p}-${i}` : `hay-${i}`, value: JSON.stringify({ i, kind: needle ? 'needle' : 'hay' }), headers: needle ? { marker: 'yes' } : {} };
      });
      await producer.send({ topic, acks: -1, messages: batch });
    }
    await producer.disconnect();
  }, 60_000);

  it('finds every planted needle within the budget and resumes from the cursor to the end', async () => {
    const found: string[] = [];
    let scanned = 0;
    let responses = 0;
    let body: Record<string, unknown> = { filters: { key: { prefix: 'needle-' }, jsonPath: { path: '$.kind', equals: 'needle' } }, limit: 4, budget: { maxRecords: 700, maxBytes: 1 << 20, maxMs: 20_000 } };
    for (;;) {
      const r = await call('POST', messages(topic, '/search'), 'admin', body);
      expect(r.statusCode, r.body).toBe(200);
      const res = r.json();
      responses++;
      scanned += res.progress.scannedRecords;
      for (const m of res.matches) found.push(`${m.partition}/${m.offset}`);
      expect(res.progress.scannedRecords).toBeLessThanOrEqual(700);
      expect(res.matches.length).toBeLessThanOrEqual(4);
      if (res.progress.complete) {
        expect(res.nextCursor).toBeUndefined();
        expect(res.progress.stoppedBecause).toBe('end');
        break;
      }
      expect(['limit', 'budget-records', 'budget-bytes']).toContain(res.progress.stoppedBecause);
      body = { ...body, cursor: res.nextCursor };
      expect(responses).toBeLessThan(100);
    }
    expect(found.sort()).toEqual([...needles].sort());
    expect(scanned).toBe(6000); // every record tested exactly once across the responses
    // The same search by header, in one response with a large budget.
    const one = (await call('POST', messages(topic, '/search'), 'admin', { filters: { header: { name: 'marker', value: 'yes' } }, limit: 500 })).json();
    expect(one.progress.complete).toBe(true);
    expect(one.matches.map((m: { partition: number; offset: number }) => `${m.partition}/${m.offset}`).sort()).toEqual([...needles].sort());
    // A cursor does not continue a search with other filters.
    const first = (await call('POST', messages(topic, '/search'), 'admin', { filters: { valueContains: 'hay' }, limit: 1 })).json();
    const mixed = await call('POST', messages(topic, '/search'), 'admin', { filters: { valueContains: 'needle' }, cursor: first.nextCursor });
    expect(mixed.statusCode).toBe(422);
    expect(mixed.json().errors[0].path).toBe('/cursor');
  });

  it('ends a search whose topic was deleted with a clear error', async () => {
    await createTopic('doomed', 1);
    await allow('admin', 'doomed', ['READ', 'WRITE']);
    for (let i = 0; i < 5; i++) expect((await call('POST', messages('doomed'), 'admin', { value: { encoding: 'text', data: `v${i}` } })).statusCode).toBe(201);
    const first = (await call('POST', messages('doomed', '/search'), 'admin', { filters: { valueContains: 'v' }, limit: 1 })).json();
    expect(first.nextCursor).toBeDefined();
    expect((await h.root.deleteTopics(['doomed'])).get('doomed')).toBeNull();
    const next = await until(async () => {
      const r = await call('POST', messages('doomed', '/search'), 'admin', { filters: { valueContains: 'v' }, limit: 1, cursor: first.nextCursor });
      return r.statusCode === 200 ? null : r;
    }, 'the deletion seen');
    expect(next.statusCode, next.body).toBe(410);
    expect(next.json().code).toBe('topic-deleted');
  });
});

describe('live tail and export', () => {
  const topic = 'live';
  beforeAll(async () => {
    await createTopic(topic, 2);
    await allow('admin', topic, ['READ', 'WRITE']);
  });

  it('streams records kafkajs produces while the client listens, as SSE', async () => {
    const controller = new AbortController();
    const res = await h.fetch(messages(topic, '/tail?durationSeconds=60&maxRate=1000'), 'admin', { signal: controller.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: Array.from({ length: 20 }, (_, i) => ({ partition: i % 2, key: `t${i}`, value: `live-${i}` })) });
    await producer.disconnect();
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const values = new Set<string>();
    const deadline = Date.now() + 30_000;
    while (values.size < 20 && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      let cut;
      while ((cut = text.indexOf('\n\n')) >= 0) {
        const event = text.slice(0, cut);
        text = text.slice(cut + 2);
        const data = /^data: (.*)$/m.exec(event)?.[1];
        if (/^event: record$/m.test(event) && data) values.add(JSON.parse(data).value.data);
      }
    }
    controller.abort();
    expect([...values].sort()).toEqual(Array.from({ length: 20 }, (_, i) => `live-${i}`).sort());
  });

  it('ends a tail after its duration with an end event saying where it stopped', async () => {
    const res = await h.fetch(messages(topic, '/tail?durationSeconds=1&from=earliest&maxRate=5'));
    const body = await res.text();
    const end = /event: end\ndata: (.*)\n/.exec(body);
    expect(end, body.slice(-500)).not.toBeNull();
    const info = JSON.parse(end![1]!);
    expect(info.reason).toBe('duration');
    // maxRate=5 for one second: never more than a second's worth (plus the first slot).
    expect(info.sent).toBeLessThanOrEqual(6);
    expect((body.match(/event: record/g) ?? []).length).toBe(info.sent);
  });

  it('exports NDJSON and CSV of a range as kcat reads it', async () => {
    const ndjson = await (await h.fetch(messages(topic, '/export?partition=1&offset=0'))).text();
    const lines = ndjson.trimEnd().split('\n').map((l) => JSON.parse(l));
    const expected = await kcatRead(topic, 1);
    expect(lines.map((l) => [l.offset, l.value.data])).toEqual(expected.map((e) => [e.offset, e.payload]));
    const csv = await (await h.fetch(messages(topic, '/export?format=csv&partition=1'))).text();
    const rows = csv.trimEnd().split('\r\n');
    expect(rows[0]).toBe('partition,offset,timestamp,timestamp_type,key_encoding,key,value_encoding,value,headers');
    expect(rows.slice(1).map((r) => r.split(',')[7])).toEqual(expected.map((e) => e.payload));
    // A value a spreadsheet would run as a formula is exported with a leading quote (CSV injection guard).
    const formula = await call('POST', messages(topic), 'admin', { value: { encoding: 'text', data: '=HYPERLINK("http://evil","x")' }, partition: 0 });
    expect(formula.statusCode, formula.body).toBe(201);
    const guarded = await (await h.fetch(messages(topic, `/export?format=csv&partition=0&offset=${formula.json().offset}`))).text();
    expect(guarded.split('\r\n')[1]).toBe(`0,${formula.json().offset},${formula.json().timestamp},CreateTime,null,,text,"'=HYPERLINK(""http://evil"",""x"")",`);
  });
});
