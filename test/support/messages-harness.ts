import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { beforeAll, afterAll, expect } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import type { AppOptions } from '../../apps/api/src/app.ts';
import { KafkaAdminClient } from '@tributary/kafka-admin';
import type { Role } from '@tributary/contracts';
import { useApiHarness, type ApiHarness, type Method } from '../../apps/api/src/testing/api-harness.ts';
import { DesiredStateStore } from '../../apps/operator/src/store/desired-state-store.ts';
import { startBroker, type BrokerProcess } from './broker-process.ts';
import { startCluster, type TestCluster } from './cluster.ts';

const run = promisify(execFile);

/**
 * The message API suites' one setup (test/api/messages*.test.ts): the API harness (PostgreSQL,
 * Redis, the app, API keys in one account) listening on loopback for streamed answers, a real
 * broker — one process, or a cluster on etcd — with a SASL listener where the API logs in as each
 * key's own principal, a running instance whose status names those brokers (written as the operator
 * would), and the helpers every suite used to repeat: ACL grants, topics, kcat reads, requests as a key.
 */
export interface MessagesHarnessOptions<K extends string> {
  /** API keys by name and role, all in one account (the first key creates the instance). */
  keys: Record<K, Role>;
  /** 1: one broker process; more: a cluster of that many brokers sharing ACLs and credentials through etcd. */
  brokers: number;
  /** Broker settings beyond the trusted internal listener. */
  settings?: Record<string, string>;
  /** Options of the app (default: a rate limit no test reaches). */
  app?: Partial<AppOptions>;
  /** Extra setup timeout for suites that also produce a lot in their own beforeAll. */
  timeoutMs?: number;
}

export interface MessagesHarness<K extends string> {
  api: ApiHarness<K>;
  /** http://127.0.0.1:<port> of the listening app (SSE and exports are read through fetch). */
  base: string;
  instanceId: string;
  /** Spec the instance was created with (PUT needs it whole). */
  spec: Record<string, unknown>;
  /** The brokers' trusted internal listeners (the test's own clients use them). */
  bootstrap: string[];
  /** Only with brokers: 1. */
  broker: BrokerProcess;
  /** Only with brokers > 1. */
  cluster: TestCluster;
  /** An admin client on the internal listener (not subject to ACLs). */
  root: KafkaAdminClient;
  keyIds: Record<K, string>;
  /** The Kafka principal the API uses for a key: User:tributary-api.<key id>. */
  principal(who: K): string;
  call(method: Method, url: string, who?: K, body?: unknown, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  /** fetch() of the listening app as a key (streams: tail, export). */
  fetch(path: string, who?: K, init?: RequestInit): Promise<Response>;
  /** /v1/instances/{id}/topics/{topic}/messages + suffix */
  messages(topic: string, suffix?: string): string;
  allow(who: K, topic: string, operations: ('READ' | 'WRITE' | 'DESCRIBE')[]): Promise<void>;
  createTopic(name: string, partitions: number, replicationFactor?: number): Promise<void>;
  /** What kcat reads from a partition, as its JSON envelopes (the reference the API must match). */
  kcatRead(topic: string, partition: number, offsetSpec?: string): Promise<KcatRecord[]>;
}

export interface KcatRecord { offset: number; ts: number; key: string | null; payload: string | null; headers: string[] | undefined }

/** Registers beforeAll/afterAll; the harness's fields are filled in by the time the tests run. */
export function useMessagesHarness<K extends string>(opts: MessagesHarnessOptions<K>): MessagesHarness<K> {
  const names = Object.keys(opts.keys) as K[];
  const api = useApiHarness<K>({
    keys: Object.fromEntries(names.map((n) => [n, { account: 'messages', role: opts.keys[n] }])) as Record<K, { account: string; role: Role }>,
    app: { rateLimitMax: 100_000, ...opts.app },
  });
  let statusWriter: DesiredStateStore | undefined;
  const spec = { zone: 'zone-a', brokers: opts.brokers, bandwidthMBps: 40, diskGiB: 100, partitionLimit: 50, topicLimit: 20, consumerGroupLimit: 10, billing: { mode: 'postpaid' } };
  const h = { api, spec, keyIds: {} as Record<K, string> } as unknown as MessagesHarness<K>;

  h.principal = (who) => `User:tributary-api.${h.keyIds[who]}`;
  h.call = (method, url, who = names[0]!, body, headers = {}) => api.call(method, url, { key: api.keys[who], ...(body !== undefined ? { body } : {}), headers });
  h.fetch = (path, who = names[0]!, init = {}) => fetch(`${h.base}${path}`, { ...init, headers: { authorization: `Bearer ${api.keys[who]}`, ...(init.headers as Record<string, string> | undefined) } });
  h.messages = (topic, suffix = '') => `/v1/instances/${h.instanceId}/topics/${topic}/messages${suffix}`;
  h.allow = async (who, topic, operations) => {
    const errors = await h.root.createAcls(operations.map((operation) => ({ resourceType: 'TOPIC', resourceName: topic, patternType: 'LITERAL', principal: h.principal(who), host: '*', operation, permission: 'ALLOW' })));
    expect(errors.every((e) => e === null)).toBe(true);
  };
  h.createTopic = async (name, partitions, replicationFactor = 1) => {
    const result = await h.root.createTopics([{ name, partitions, replicationFactor }]);
    expect(result.get(name)).toBeNull();
  };
  h.kcatRead = async (topic, partition, offsetSpec = 'beginning') => {
    const { stdout } = await run('kcat', ['-C', '-b', h.bootstrap.join(','), '-t', topic, '-p', String(partition), '-o', offsetSpec, '-e', '-J', '-q'], { maxBuffer: 64 * 1024 * 1024, timeout: 60_000 });
    return stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as KcatRecord);
  };

  beforeAll(async () => {
    for (const n of names) {
      const row = await api.store.db.apiKey.findFirst({ where: { name: n, accountId: api.accounts.messages! }, select: { id: true } });
      h.keyIds[n] = row!.id;
    }
    await api.app.listen({ port: 0, host: '127.0.0.1' });
    const address = api.app.server.address();
    h.base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    const settings = { 'tributary.trusted.listeners': 'PLAINTEXT', 'group.initial.rebalance.delay.ms': '0', ...opts.settings };
    let sasl: string[];
    if (opts.brokers === 1) {
      h.broker = await startBroker({ extraListeners: ['SASL_PLAINTEXT'], settings, timeoutMs: 30_000 });
      h.bootstrap = [h.broker.bootstrap];
      sasl = [h.broker.addresses.SASL_PLAINTEXT!];
    } else {
      h.cluster = await startCluster({ brokers: opts.brokers, extraListeners: ['SASL_PLAINTEXT'], settings, timeoutMs: 60_000 });
      h.bootstrap = h.cluster.bootstrap;
      sasl = [...h.cluster.brokers.values()].map((b) => b.addresses.SASL_PLAINTEXT!);
    }
    h.root = await KafkaAdminClient.connect(h.bootstrap[0]!);
    const r = await h.call('POST', '/v1/instances', names[0], { name: 'msgs', labels: {}, spec });
    expect(r.statusCode, r.body).toBe(202);
    h.instanceId = r.json().resource.id;
    statusWriter = new DesiredStateStore(api.services.databaseUrl);
    await statusWriter.saveStatus(h.instanceId, { phase: 'Running', observedGeneration: 1, internalBootstrapServers: h.bootstrap, clientBootstrapServers: sasl, brokers: [], conditions: [], events: [] });
  }, opts.timeoutMs ?? 180_000);

  // Registered after the API harness's afterAll, so it runs first (vitest runs afterAll hooks in
  // reverse): clients and brokers stop before the API harness closes the app and the databases.
  afterAll(async () => {
    h.root?.close();
    await h.broker?.destroy();
    await h.cluster?.stop();
    await statusWriter?.close();
  });
  return h;
}
