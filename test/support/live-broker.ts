import { createRequire } from 'node:module';
import { afterAll, beforeAll, expect } from 'vitest';
import type { ApiHarness } from '../../apps/api/src/testing/api-harness.ts';
import { SMALL_SPEC } from '../../apps/api/src/testing/api-harness.ts';
import { DesiredStateStore } from '../../apps/operator/src/store/desired-state-store.ts';
import { startBroker, type BrokerProcess } from './broker-process.ts';

const require = createRequire(import.meta.url);
const { Kafka, logLevel } = require('kafkajs');

/**
 * The setup of the suites of the API's live reads (consumer groups, partitions, lag history): beside
 * the API harness, one real broker and a kafkajs client on it, and instances whose status names that
 * broker's listener as their internal bootstrap — written by the operator's own store, as the operator
 * would after reconciling, since no operator runs in these suites.
 */
export interface LiveBroker {
  broker: BrokerProcess;
  kafka: InstanceType<typeof Kafka>;
  /** Creates an instance through the API as the first key; `internal` null leaves it without brokers (still creating). */
  instanceWith(name: string, internal: string[] | null): Promise<string>;
}

/** Registers beforeAll/afterAll after the harness's own; the fields are filled in by the time the tests run. */
export function useLiveBroker<K extends string>(api: ApiHarness<K>, clientId: string): LiveBroker {
  let statusWriter: DesiredStateStore | undefined;
  const live = {} as LiveBroker;
  live.instanceWith = async (name, internal) => {
    const r = await api.call('POST', '/v1/instances', { body: { name, labels: {}, spec: SMALL_SPEC } });
    expect(r.statusCode, r.body).toBe(202);
    const id = r.json().resource.id as string;
    if (internal) await statusWriter!.saveStatus(id, { phase: 'Running', observedGeneration: 1, internalBootstrapServers: internal, clientBootstrapServers: [], brokers: [], conditions: [], events: [] });
    return id;
  };
  beforeAll(async () => {
    statusWriter = new DesiredStateStore(api.services.databaseUrl);
    live.broker = await startBroker({ settings: { 'group.initial.rebalance.delay.ms': '0' } });
    live.kafka = new Kafka({ clientId, brokers: [live.broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 5 } });
  }, 60_000);
  afterAll(async () => {
    await live.broker?.destroy();
    await statusWriter?.close();
  });
  return live;
}
