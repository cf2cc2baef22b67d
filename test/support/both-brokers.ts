import { startKafka } from '@tributary/testkit';
import { afterAll, beforeAll } from 'vitest';
import { startBroker } from './broker-process.ts';

/** A running broker of either kind, as a scenario sees it: where to connect, and how to end it. */
export interface TargetBroker {
  bootstrap: string;
  stop: () => Promise<void>;
}

export type TargetName = 'Tributary' | 'Apache Kafka';

/**
 * The two brokers a differential scenario runs against, with the same broker settings: a
 * `tributary-broker` process and Apache Kafka 4.4 (libs/testkit). For `describe.each(...)('%s', …)`,
 * so each scenario runs once per broker with the same assertions.
 */
export function bothBrokers(settings: Record<string, string> = {}): [TargetName, () => Promise<TargetBroker>][] {
  return [
    ['Tributary', async () => {
      const b = await startBroker({ settings });
      return { bootstrap: b.bootstrap, stop: () => b.destroy() };
    }],
    ['Apache Kafka', () => startKafka({ settings })],
  ];
}

/**
 * Starts the broker before the describe block's tests and stops it after them. The returned object's
 * `bootstrap` is filled in by the time the tests run.
 */
export function useTargetBroker(start: () => Promise<TargetBroker>): { readonly bootstrap: string } {
  let broker: TargetBroker | undefined;
  beforeAll(async () => {
    broker = await start();
  }, 120_000);
  afterAll(async () => {
    await broker?.stop();
  });
  return {
    get bootstrap() {
      if (!broker) throw new Error('the target broker is not running (its beforeAll failed or has not run)');
      return broker.bootstrap;
    },
  };
}
