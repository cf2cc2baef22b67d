import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '@tributary/testkit';
import { coordinatorPartitionFor } from '../../apps/broker/src/topics/internal-topics.ts';
import { KafkaAdminClient } from '@tributary/kafka-admin';
import { startSuiteTarget } from './librdkafka-target.ts';
import { ensureLibrdkafkaSuite, failureReport, librdkafkaHasTest, runLibrdkafkaTest } from './librdkafka-suite.ts';
import { BROKER_VERSION, CANDIDATES, concurrencyLimit, expectSuiteRunPassed, NOT_IN_2_0_2, RUNS_2_12, suiteRuns212, type SuiteRun212 } from './librdkafka-catalog.ts';

// librdkafka 2.12.1's own test suite (vendored by the crates.io crate rdkafka-sys 4.10.0+2.12.1,
// scripts/setup.d/21-librdkafka-2.12-tests.sh) against a fresh broker per test, one test per process,
// never in quick mode: the candidates librdkafka 2.0.2 lacks (0127, 0140, 0142) and KIP-848 runs
// (TEST_CONSUMER_GROUP_PROTOCOL=consumer). Tributary by default; LIBRDKAFKA_SUITE_BROKER=kafka runs the
// same against Apache Kafka 4.4. LIBRDKAFKA_212_ALL=1 runs every candidate under 2.12.1, classic and
// consumer protocol (by hand, not in CI: results in test/conformance/README.md).

const DEFAULT_TIME_LIMIT_MS = 180_000;
const target = process.env.LIBRDKAFKA_SUITE_BROKER === 'kafka' ? 'kafka' : 'tributary';
// As librdkafka.test.ts: librdkafka's default scenario on one broker, no initial rebalance delay.
const BROKER_SETTINGS = { 'num.partitions': '4', 'group.initial.rebalance.delay.ms': '0' };
const PARALLEL = Math.max(1, Number(process.env.LIBRDKAFKA_SUITE_PARALLEL ?? 2));
const slot = concurrencyLimit(PARALLEL);

// The SASL user is a super user on Tributary too (0142 reads the broker's connections.max.reauth.ms
// through DescribeConfigs, which needs DESCRIBE_CONFIGS on the cluster).
const startTarget = (settings: Record<string, string>, sasl: boolean) =>
  startSuiteTarget(target, { ...BROKER_SETTINGS, ...settings }, { sasl, saslSuperUser: true, whenKafkaStarted: warmGroupCoordinator });

/**
 * A fresh Kafka creates `__consumer_offsets` on the first FindCoordinator and answers NOT_COORDINATOR
 * while its 50 partitions load; librdkafka 2.12.1 reports that to 0127 and 0140 as a consumer error
 * and they fail (seen in the first runs against Apache Kafka 4.4). So the reference broker gets its
 * group coordinator ready first: one group per `__consumer_offsets` partition described until every
 * one answers. Tributary's coordinator is ready when FindCoordinator answers, so it gets none.
 */
async function warmGroupCoordinator(bootstrap: string): Promise<void> {
  const groups = new Map<number, string>();
  for (let i = 0; groups.size < 50; i++) {
    const partition = coordinatorPartitionFor(`warm-up-${i}`, 50);
    if (!groups.has(partition)) groups.set(partition, `warm-up-${i}`);
  }
  const admin = await KafkaAdminClient.connect(bootstrap, { timeoutMs: 30_000 });
  try {
    for (const group of groups.values()) {
      await until(async () => {
        try {
          await admin.describeGroup(group);
          return true;
        } catch {
          return false;
        }
      }, `Kafka's coordinator of group ${group}`, 60_000);
    }
  } finally {
    admin.close();
  }
}

beforeAll(() => {
  ensureLibrdkafkaSuite('2.12.1');
}, 16 * 60_000);

const durations: string[] = [];
afterAll(() => {
  if (process.env.LIBRDKAFKA_SUITE_TIMES) console.log(`librdkafka 2.12.1 suite against ${target}:\n${durations.sort().join('\n')}`);
});

it('librdkafka 2.12.1 has every candidate, those 2.0.2 lacks among them', () => {
  expect(NOT_IN_2_0_2.length).toBeGreaterThan(0);
  expect(CANDIDATES.filter((id) => !librdkafkaHasTest(id, '2.12.1'))).toEqual([]);
});

const runs: SuiteRun212[] = process.env.LIBRDKAFKA_212_ALL ? suiteRuns212() : RUNS_2_12;

describe.concurrent(`librdkafka 2.12.1 test suite against ${target}`, () => {
  for (const run of runs) {
    const { id, groupProtocol, settings, sasl } = run;
    const label = groupProtocol === 'consumer' ? `${id} (group.protocol=consumer)` : id;
    const excluded = target === 'tributary' ? run.excluded : undefined;
    if (excluded) {
      it.skip(`${label} — excluded (${excluded.kind}): ${excluded.reason}`, () => undefined);
      continue;
    }
    const partial = run.skipSubtests;
    const name = partial ? `${label} (without sub-tests ${partial.subtests.map((t) => `"${t}"`).join(', ')} — ${partial.kind}: ${partial.reason})` : label;
    it(name, { timeout: DEFAULT_TIME_LIMIT_MS + 120_000 }, () =>
      slot(async () => {
        const broker = await startTarget(settings, sasl);
        try {
          const skipSubtests = partial?.subtests;
          const result = await runLibrdkafkaTest(id, { version: '2.12.1', groupProtocol, bootstrap: broker.bootstrap, conf: broker.conf, brokerVersion: BROKER_VERSION, timeoutMs: DEFAULT_TIME_LIMIT_MS, ...(skipSubtests ? { skipSubtests } : {}) });
          durations.push(`${label} ${(result.durationMs / 1000).toFixed(1)} s ${result.exitCode === 0 ? 'passed' : 'FAILED'}`);
          if (result.exitCode !== 0) {
            const brokerLog = broker.logs().split('\n').slice(-25).join('\n');
            expect.fail(`librdkafka 2.12.1 test ${label} failed against ${target}:\n${failureReport(result)}\n--- broker log (last lines) ---\n${brokerLog}`);
          }
          expectSuiteRunPassed(id, result, skipSubtests);
        } finally {
          await broker.stop();
        }
      }),
    );
  }
});
