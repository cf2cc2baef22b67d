import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSuiteTarget } from './librdkafka-target.ts';
import { ensureLibrdkafkaSuite, failureReport, librdkafkaHasTest, runLibrdkafkaTest } from './librdkafka-suite.ts';
import { BROKER_VERSION, CANDIDATES, concurrencyLimit, EXCLUDED, EXCLUDED_SUBTESTS, exclusionOf, expectSuiteRunPassed, NOT_IN_2_0_2, runAgainOnce, SASL_TESTS, SCENARIOS, suiteRuns, TEST_SETTINGS } from './librdkafka-catalog.ts';

// librdkafka's own test suite (Debian's librdkafka 2.0.2) against a fresh broker per test, one test
// per process, never in quick mode. Tributary by default; LIBRDKAFKA_SUITE_BROKER=kafka runs the
// same tests against Apache Kafka 4.4 (libs/testkit startKafka) to tell the test's and the
// environment's failures from ours. Results of both are in test/conformance/README.md.

/** Per-test time limits where the default is not enough (the runner's own timeouts normally fire first). */
const TIME_LIMIT_MS: Record<string, number> = {};
const DEFAULT_TIME_LIMIT_MS = 180_000;

const target = process.env.LIBRDKAFKA_SUITE_BROKER === 'kafka' ? 'kafka' : 'tributary';
// Settings of librdkafka's default test scenario (tests/scenarios/default.json): auto-created
// topics with 4 partitions; replication factor 1 on one broker. No initial rebalance delay (as
// startKafka configures Kafka), so group tests do not wait 3 s per join.
const BROKER_SETTINGS = { 'num.partitions': '4', 'group.initial.rebalance.delay.ms': '0' };

/** At most this many librdkafka tests (each with its broker) at once. */
const PARALLEL = Math.max(1, Number(process.env.LIBRDKAFKA_SUITE_PARALLEL ?? 2));
const slot = concurrencyLimit(PARALLEL);

const startTarget = (extra: Record<string, string> = {}, sasl = false) => startSuiteTarget(target, { ...BROKER_SETTINGS, ...extra }, { sasl });

beforeAll(() => {
  ensureLibrdkafkaSuite();
}, 16 * 60_000);

const durations: string[] = [];
afterAll(() => {
  if (process.env.LIBRDKAFKA_SUITE_TIMES) console.log(`librdkafka suite against ${target}:\n${durations.sort().join('\n')}`);
});

it('the candidates missing from librdkafka 2.0.2 are exactly the listed ones', () => {
  expect(CANDIDATES.filter((id) => !librdkafkaHasTest(id))).toEqual(NOT_IN_2_0_2);
});

it('every exclusion names a candidate librdkafka 2.0.2 has, with a reason', () => {
  for (const [key, why] of [...Object.entries(EXCLUDED), ...Object.entries(EXCLUDED_SUBTESTS)]) {
    const [id, scenario] = key.split('/') as [string, string | undefined];
    expect(CANDIDATES.includes(id) && !NOT_IN_2_0_2.includes(id), key).toBe(true);
    if (scenario) expect(SCENARIOS[id]?.some((s) => s.name === scenario), key).toBe(true);
    expect(why.reason.length, key).toBeGreaterThan(10);
  }
});

describe.concurrent(`librdkafka 2.0.2 test suite against ${target}`, () => {
  for (const run of suiteRuns()) {
    const { id, scenario, settings } = run;
    // The reference run (Apache Kafka) runs everything: the exceptions are Tributary's.
    const excluded = target === 'tributary' ? exclusionOf(run) : undefined;
    if (excluded) {
      it.skip(`${scenario ? `${id}/${scenario}` : id} — excluded (${excluded.kind}): ${excluded.reason}`, () => undefined);
      continue;
    }
    const limit = TIME_LIMIT_MS[id] ?? DEFAULT_TIME_LIMIT_MS;
    const partial = target === 'tributary' ? EXCLUDED_SUBTESTS[id] : undefined;
    const label = scenario ? `${id} (scenario ${scenario})` : id;
    const name = partial ? `${label} (without sub-tests ${partial.subtests.map((t) => `"${t}"`).join(', ')} — ${partial.kind}: ${partial.reason})` : label;
    const again = runAgainOnce(id, name);
    it(again.name, { timeout: limit + 120_000, retry: again.retry }, () =>
      slot(async () => {
        const broker = await startTarget({ ...TEST_SETTINGS[id], ...settings }, SASL_TESTS.has(id));
        try {
          const skipSubtests = partial?.subtests;
          const run = await runLibrdkafkaTest(id, { bootstrap: broker.bootstrap, conf: broker.conf, brokerVersion: BROKER_VERSION, timeoutMs: limit, ...(skipSubtests ? { skipSubtests } : {}), ...(scenario ? { scenario } : {}) });
          durations.push(`${label} ${(run.durationMs / 1000).toFixed(1)} s ${run.exitCode === 0 ? 'passed' : 'FAILED'}`);
          if (run.exitCode !== 0) {
            const brokerLog = broker.logs().split('\n').slice(-25).join('\n');
            expect.fail(`librdkafka test ${label} failed against ${target}:\n${failureReport(run)}\n--- broker log (last lines) ---\n${brokerLog}`);
          }
          expectSuiteRunPassed(id, run, skipSubtests);
        } finally {
          await broker.stop();
        }
      }),
    );
  }
});
