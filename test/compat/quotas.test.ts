import { createRequire } from 'node:module';
import { connect as netConnect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaAdminClient } from '@tributary/kafka-admin';
import { ApiKey, encodeRequest } from '@tributary/protocol';
import { startBroker, type BrokerProcess } from '../support/broker-process.ts';

// Client quotas with kafkajs: a producer and a consumer held to 1 MB/s by the broker's throttling
// (throttle_time_ms + a muted connection), with no errors. Measured by the client over a steady
// stretch, after the window's initial allowance is spent.
const require = createRequire(import.meta.url);
const { Kafka, logLevel } = require('kafkajs');

const MB = 1_000_000;
const MAX_CONNECTIONS = 40;
const VALUE = Buffer.alloc(1024, 120);
let broker: BrokerProcess;
let admin: KafkaAdminClient;

beforeAll(async () => {
  // A 3 s window (3 × 1 s samples) keeps the start-up allowance short; Kafka's default is 11 × 1 s.
  // Connection limits (the last tests): a second listener, LIMITED, of at most 2 connections;
  // max.connections 40, which the protected PLAINTEXT listener (the inter-broker one) may pass;
  // at most 2 connections from 127.0.0.3.
  broker = await startBroker({
    metrics: true,
    extraListeners: ['LIMITED'],
    settings: {
      'quota.window.num': '3',
      'quota.window.size.seconds': '1',
      'group.initial.rebalance.delay.ms': '0',
      'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,LIMITED:PLAINTEXT',
      'listener.name.limited.max.connections': '2',
      'max.connections': String(MAX_CONNECTIONS),
      'max.connections.per.ip.overrides': '127.0.0.3:2',
    },
  });
  admin = await KafkaAdminClient.connect(broker.bootstrap);
  await admin.createTopics([{ name: 'metered', partitions: 1, replicationFactor: 1 }]);
});
afterAll(async () => {
  admin?.close();
  await broker?.destroy();
});

const kafka = (clientId: string) => new Kafka({ clientId, brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 5 } });

/** Sends 50 × 1 KiB batches back to back for `ms`; returns the bytes acknowledged per second between `fromMs` and the end. */
async function produceFor(clientId: string, ms: number, fromMs: number): Promise<{ rate: number; errors: number }> {
  const producer = kafka(clientId).producer();
  await producer.connect();
  const start = Date.now();
  let measured = 0;
  let measuredFrom = 0;
  let errors = 0;
  while (Date.now() - start < ms) {
    try {
      await producer.send({ topic: 'metered', acks: 1, messages: Array.from({ length: 50 }, () => ({ value: VALUE })) });
    } catch {
      errors++;
    }
    const t = Date.now() - start;
    if (t >= fromMs) {
      if (measuredFrom === 0) measuredFrom = Date.now();
      else measured += 50 * VALUE.length;
    }
  }
  const seconds = (Date.now() - measuredFrom) / 1000;
  await producer.disconnect();
  return { rate: measured / seconds, errors };
}

describe('client quotas (kafkajs)', () => {
  it('AlterClientQuotas and DescribeClientQuotas round-trip, with <default> entities and removal', async () => {
    await admin.alterClientQuotas({ clientId: 'throttled-producer' }, { producer_byte_rate: MB });
    await admin.alterClientQuotas({ user: null }, { request_percentage: 200 });
    await admin.alterClientQuotas({ user: null }, { request_percentage: null });
    await expect(admin.alterClientQuotas({ clientId: 'x' }, { producer_bytes_rate: 5 })).rejects.toMatchObject({ errorName: 'INVALID_REQUEST' });
    expect(await admin.describeClientQuotas()).toEqual([{ entity: { clientId: 'throttled-producer' }, values: { producer_byte_rate: MB } }]);
  });

  it('refuses invalid quota values with INVALID_REQUEST', async () => {
    await expect(admin.alterClientQuotas({ clientId: 'x' }, { producer_byte_rate: -5 })).rejects.toMatchObject({ errorName: 'INVALID_REQUEST' });
  });

  it('controller_mutation_rate: topic creation past the rate gets THROTTLING_QUOTA_EXCEEDED, and succeeds after the throttle', async () => {
    await admin.alterClientQuotas({ clientId: 'mutator' }, { controller_mutation_rate: 2 });
    const mutator = await KafkaAdminClient.connect(broker.bootstrap, { clientId: 'mutator' });
    const outcomes: string[] = [];
    for (let i = 0; i < 6; i++) outcomes.push((await mutator.createTopics([{ name: `mutated-${i}`, partitions: 2, replicationFactor: 1 }])).get(`mutated-${i}`)?.errorName ?? 'ok');
    expect(outcomes.slice(0, 2)).toEqual(['ok', 'ok']);
    expect(outcomes).toContain('THROTTLING_QUOTA_EXCEEDED');
    // The 3 s window forgets the burst; the refused topic can be created then.
    const refused = outcomes.indexOf('THROTTLING_QUOTA_EXCEEDED');
    await new Promise((r) => setTimeout(r, 3_500));
    expect((await mutator.createTopics([{ name: `mutated-${refused}`, partitions: 2, replicationFactor: 1 }])).get(`mutated-${refused}`)).toBeNull();
    mutator.close();
    await admin.alterClientQuotas({ clientId: 'mutator' }, { controller_mutation_rate: null });
  });

  it('holds a producer to 1 MB/s ± 15% over 20 s without errors, while an unthrottled one runs faster', { timeout: 90_000 }, async () => {
    // The machine must be able to go well past the quota, or a low figure would prove nothing.
    const free = await produceFor('free-producer', 4_000, 1_000);
    expect(free.rate).toBeGreaterThan(3 * MB);
    const held = await produceFor('throttled-producer', 25_000, 5_000);
    expect(held.errors).toBe(0);
    expect(held.rate).toBeGreaterThan(0.85 * MB);
    expect(held.rate).toBeLessThan(1.15 * MB);
    const metrics = await (await fetch(`http://127.0.0.1:${broker.metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/tributary_broker_quota_throttle_events_total\{quota="producer_byte_rate",user="ANONYMOUS",client_id="throttled-producer"\} [1-9]/);
  });

  it('holds a consumer group to 1 MB/s ± 15% by its group quota (consumer-group entity)', { timeout: 90_000 }, async () => {
    await admin.alterClientQuotas({ group: 'metered-readers' }, { consumer_byte_rate: MB, group_max_members: 1 });
    expect(await admin.describeClientQuotas()).toContainEqual({ entity: { group: 'metered-readers' }, values: { consumer_byte_rate: MB, group_max_members: 1 } });
    // Enough data for 20 s at the quota is already in the topic from the producers above.
    const consumer = kafka('throttled-consumer').consumer({ groupId: 'metered-readers', maxBytes: 256 * 1024, maxBytesPerPartition: 256 * 1024 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'metered', fromBeginning: true });
    let bytes = 0;
    let first = 0;
    await consumer.run({
      eachBatch: async ({ batch }: { batch: { messages: { value: Buffer }[] } }) => {
        const now = Date.now();
        if (first === 0) first = now;
        // The first 5 s spend the window's start-up allowance; measure what follows.
        if (now - first >= 5_000) for (const m of batch.messages) bytes += m.value.length;
      },
    });
    const start = Date.now();
    while (first === 0 && Date.now() - start < 20_000) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 5_000 + 15_000));
    const rate = bytes / 15;
    const metrics = await (await fetch(`http://127.0.0.1:${broker.metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/tributary_broker_group_throttle_ms_total\{group="metered-readers"\} [1-9]/);
    // The group's member limit is 1: a second member is refused while the first is in.
    const second = kafka('second-reader').consumer({ groupId: 'metered-readers', retry: { retries: 0 } });
    await second.connect();
    await second.subscribe({ topic: 'metered' });
    const refused = new Promise<Error>((resolve) => second.on(second.events.CRASH, (e: { payload: { error: Error } }) => resolve(e.payload.error)));
    await second.run({ eachMessage: async () => undefined });
    expect((await Promise.race([refused, new Promise<null>((r) => setTimeout(() => r(null), 15_000))]))?.message).toMatch(/maximum size|max/i);
    await second.disconnect();
    await consumer.disconnect();
    expect(rate).toBeGreaterThan(0.85 * MB);
    expect(rate).toBeLessThan(1.15 * MB);
  });
});

describe('connection limits (kafkajs and raw connections)', () => {
  const metric = async (pattern: RegExp) => Number(pattern.exec(await (await fetch(`http://127.0.0.1:${broker.metricsPort}/metrics`)).text())?.[1] ?? 0);
  const waitingOnLimited = () => metric(/tributary_broker_connections_waiting\{listener="LIMITED"\} (\d+)/);
  /** Waits (bounded) until `check` holds. */
  const until = async (what: string, check: () => Promise<boolean> | boolean) => {
    const deadline = Date.now() + 20_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`not within 20 s: ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const from = (clientId: string, localAddress: string, retries = 0) =>
    new Kafka({ clientId, brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries }, socketFactory: ({ host, port, onConnect }: { host: string; port: number; onConnect: () => void }) => netConnect({ host, port, localAddress }, onConnect) });

  it('listener.name.<listener>.max.connections: a client past the listener limit waits, unanswered, until another disconnects', { timeout: 60_000 }, async () => {
    const limited = (clientId: string) => new Kafka({ clientId, brokers: [broker.addresses.LIMITED], logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 30_000, requestTimeout: 30_000 });
    // A kafkajs producer talks to its one broker over one connection: two fill LIMITED.
    const [first, second] = [limited('limited-first').producer(), limited('limited-second').producer()];
    for (const p of [first, second]) {
      await p.connect();
      await p.send({ topic: 'metered', messages: [{ value: 'in' }] });
    }
    const third = limited('limited-third').producer();
    try {
      let sent = false;
      const thirdDone = third.connect().then(() => third.send({ topic: 'metered', messages: [{ value: 'third' }] })).then(() => (sent = true));
      await until('the third client waits on LIMITED', async () => (await waitingOnLimited()) === 1);
      expect(sent).toBe(false);
      await first.disconnect();
      await thirdDone;
      expect(await waitingOnLimited()).toBe(0);
    } finally {
      for (const p of [first, second, third]) await p.disconnect();
    }
  });

  it('max.connections.per.ip.overrides: a client from an address at its maximum is refused at once; taken once one has gone', { timeout: 60_000 }, async () => {
    const first = from('per-ip-first', '127.0.0.3').producer();
    await first.connect();
    await first.send({ topic: 'metered', messages: [{ value: 'from 127.0.0.3' }] });
    // The first holds up to two connections (kafkajs: the seed broker and the broker by id); with a
    // third one from 127.0.0.3 open too, any connection of a second client is refused.
    const extra = await openOn(broker.bootstrap, '127.0.0.3');
    const second = from('per-ip-second', '127.0.0.3').producer();
    await expect(second.connect().then(() => second.send({ topic: 'metered', messages: [{ value: 'refused' }] }))).rejects.toThrow();
    await second.disconnect();
    extra.socket.destroy();
    await first.disconnect();
    // Retried: the broker counts the first's connections as gone once it has seen them close.
    const third = from('per-ip-third', '127.0.0.3', 10).producer();
    await third.connect();
    await third.send({ topic: 'metered', messages: [{ value: 'taken again' }] });
    await third.disconnect();
  });

  it('max.connections: another listener waits at the maximum; the protected listener passes it and the least recently used connection of another listener is closed', { timeout: 60_000 }, async () => {
    const l1 = await openOn(broker.addresses.LIMITED!);
    const l2 = await openOn(broker.addresses.LIMITED!);
    expect([l1.outcome, l2.outcome]).toEqual(['answered', 'answered']);
    // l1 is used again: l2 is now the least recently used.
    expect(await answerOn(l1.socket)).toBe(true);
    const plain: Socket[] = [];
    let l2Closed = false;
    l2.socket.once('close', () => (l2Closed = true));
    // PLAINTEXT connections (protected) one at a time, each answered, until the broker has passed
    // max.connections and closed one (its metric counts it before the connection's answer is sent).
    const closedForProtected = () => metric(/tributary_broker_connections_closed_by_limit_total\{reason="max.connections"\} (\d+)/);
    while ((await closedForProtected()) === 0) {
      expect(plain.length).toBeLessThan(MAX_CONNECTIONS + 5);
      const c = await openOn(broker.bootstrap);
      expect(c.outcome).toBe('answered');
      plain.push(c.socket);
    }
    expect(await closedForProtected()).toBe(1);
    await until('l2 closed', () => l2Closed);
    expect(await answerOn(l1.socket)).toBe(true);
    // At the maximum, a new LIMITED connection waits (its listener has room: l2 is gone) until one closes.
    const l3 = openOn(broker.addresses.LIMITED!, undefined, 30_000);
    await until('the new LIMITED connection waits', async () => (await waitingOnLimited()) === 1);
    plain.pop()!.destroy();
    expect((await l3).outcome).toBe('answered');
    for (const c of [...plain, l1.socket, (await l3).socket]) c.destroy();
  });
});

/**
 * A connection (from `localAddress` when given) that sends ApiVersions v0 and stays open:
 * 'answered', 'closed' (closed unanswered) or 'silent' (neither within `silentMs`).
 */
function openOn(address: string, localAddress?: string, silentMs = 10_000): Promise<{ outcome: 'answered' | 'closed' | 'silent'; socket: Socket }> {
  const [host, port] = address.split(':');
  return new Promise((done) => {
    const socket = netConnect({ host, port: Number(port), ...(localAddress ? { localAddress } : {}) });
    socket.on('error', () => undefined);
    socket.on('connect', () => {
      void answerOn(socket, silentMs).then((answered) => {
        clearTimeout(timer);
        done({ outcome: answered ? 'answered' : socket.destroyed ? 'closed' : 'silent', socket });
      });
    });
    const timer = setTimeout(() => done({ outcome: 'silent', socket }), silentMs + 1000);
  });
}

/** Sends ApiVersions v0 on an open connection: true once answered, false when it closes first or nothing comes within `silentMs`. */
function answerOn(socket: Socket, silentMs = 10_000): Promise<boolean> {
  return new Promise((done) => {
    const finish = (answered: boolean) => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      done(answered);
    };
    const onData = () => finish(true);
    const onClose = () => finish(false);
    const timer = setTimeout(() => finish(false), silentMs);
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.write(Buffer.concat(encodeRequest({ apiKey: ApiKey.ApiVersions, apiVersion: 0, correlationId: 1, clientId: 'limits' }, {})));
  });
}
