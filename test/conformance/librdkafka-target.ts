import { expect } from 'vitest';
import { startKafka } from '@tributary/testkit';
import { KafkaAdminClient } from '@tributary/kafka-admin';
import { startBroker } from '../support/broker-process.ts';
import { SASL_USER } from './librdkafka-catalog.ts';

/** The broker one librdkafka test runs against, and the client settings it needs there. */
export interface SuiteTarget {
  bootstrap: string;
  conf: Record<string, string>;
  logs: () => string;
  stop: () => Promise<void>;
}

export interface SuiteTargetOptions {
  /** A SASL_PLAINTEXT listener with SCRAM-SHA-256 and the suite's user, which the tests log in as. */
  sasl: boolean;
  /** That user is a super user on Tributary too, as startKafka always makes it on Kafka. */
  saslSuperUser?: boolean;
  /** Run once Kafka is up, before the test (the broker is stopped if it fails). */
  whenKafkaStarted?: (bootstrap: string) => Promise<void>;
}

/** A fresh Apache Kafka 4.4 node or Tributary broker with `settings`, for the librdkafka suites of both versions. */
export async function startSuiteTarget(target: 'kafka' | 'tributary', settings: Record<string, string>, o: SuiteTargetOptions): Promise<SuiteTarget> {
  const saslConf = { 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanism': 'SCRAM-SHA-256', 'sasl.username': SASL_USER.name, 'sasl.password': SASL_USER.password };
  if (target === 'kafka') {
    const kafka = await startKafka({ settings, ...(o.sasl ? { sasl: { superUser: SASL_USER, allowEveryoneIfNoAclFound: true } } : {}) });
    try {
      await o.whenKafkaStarted?.(kafka.bootstrap);
    } catch (err) {
      await kafka.stop();
      throw err;
    }
    return { bootstrap: o.sasl ? kafka.saslBootstrap! : kafka.bootstrap, conf: o.sasl ? saslConf : {}, logs: () => kafka.logs(), stop: () => kafka.stop() };
  }
  const saslSettings = o.sasl ? { 'sasl.enabled.mechanisms': 'SCRAM-SHA-256', ...(o.saslSuperUser ? { 'super.users': `User:${SASL_USER.name}` } : {}) } : {};
  const broker = await startBroker({ settings: { ...settings, ...saslSettings }, timeoutMs: 60_000, ...(o.sasl ? { extraListeners: ['SASL_PLAINTEXT'] } : {}) });
  if (!o.sasl) return { bootstrap: broker.bootstrap, conf: {}, logs: () => broker.output(), stop: () => broker.destroy() };
  try {
    const admin = await KafkaAdminClient.connect(broker.bootstrap, { timeoutMs: 30_000 });
    try {
      const created = await admin.alterUserScramCredentials([{ user: SASL_USER.name, mechanism: 'SCRAM-SHA-256', password: SASL_USER.password }]);
      expect(created.get(SASL_USER.name)).toBeNull();
    } finally {
      admin.close();
    }
  } catch (err) {
    await broker.destroy();
    throw err;
  }
  return { bootstrap: broker.addresses.SASL_PLAINTEXT!, conf: saslConf, logs: () => broker.output(), stop: () => broker.destroy() };
}
