import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type TestCluster } from '../support/cluster.ts';
import { ensureLibrdkafkaSuite, failureReport, runLibrdkafkaTest, summaryEntries } from './librdkafka-suite.ts';

/**
 * librdkafka's own tests on a 3-broker Tributary cluster (issue 13: every scenario on 3 brokers).
 * A sample, not the whole suite (which takes 14+ minutes on one broker), each test against a fresh
 * cluster whose auto-created topics have RF 3, so partitions, leaders and group coordinators are
 * spread over the three brokers and acks=all produces wait for replication. min.insync.replicas
 * stays 1: several tests create RF-1 topics, which a broker-wide 2 would refuse every acks=all
 * write to (NOT_ENOUGH_REPLICAS, as Kafka does).
 * No broker is killed here: librdkafka's test runner fails a test on any error its client reports
 * (test.c test_error_cb), and a killed broker is reported as a transport error by every client of
 * it — the suite's tests do not allow a kill (tried on 0090, 0030, 0034: each failed at once with
 * "Broker transport failure", before any check of what was delivered). The leader-kill scenarios are
 * the Java client's, Kafka's tools' (cluster-failover.test.ts) and the librdkafka/kafkajs producers'
 * of test/chaos and test/compat. Which tests and why: test/conformance/README.md.
 */

/** The sample: what each adds on a cluster. */
const SAMPLE: Record<string, string> = {
  '0090': 'idempotent producer with injected request timeouts: sequence numbers and producer ids with the leader on any broker',
  '0030': 'offset commits (sync, async, auto) with the group coordinator and partition leaders on different brokers',
  '0034': 'offset reset: earliest/latest and out-of-range offsets on RF-3 partitions',
};

const SETTINGS = {
  'num.partitions': '4',
  'group.initial.rebalance.delay.ms': '0',
  'default.replication.factor': '3',
  'leader.imbalance.check.interval.seconds': '3600',
};

beforeAll(() => {
  ensureLibrdkafkaSuite();
}, 16 * 60_000);

describe('librdkafka 2.0.2 tests on a 3-broker cluster', () => {
  let cluster: TestCluster | null = null;
  afterAll(async () => cluster?.stop(), 60_000);

  for (const [id, why] of Object.entries(SAMPLE)) {
    it(`${id} (${why})`, { timeout: 420_000 }, async () => {
      cluster = await startCluster({ brokers: 3, settings: SETTINGS, timeoutMs: 90_000 });
      try {
        const result = await runLibrdkafkaTest(id, { bootstrap: cluster.bootstrap.join(','), brokerVersion: '4.4.0', timeoutMs: 240_000 });
        if (result.exitCode !== 0) expect.fail(`librdkafka test ${id} failed on the 3-broker cluster:\n${failureReport(result)}`);
        const entries = summaryEntries(result.output, id);
        expect(entries.some((e) => e.state === 'PASSED'), `no test function of ${id} passed`).toBe(true);
        for (const e of entries) expect(e.state === 'PASSED' || (e.state === 'SKIPPED' && (e.reason === '' || e.reason === 'Filtered due to negative test flags')), `${e.name}: ${e.state} ${e.reason}`).toBe(true);
        expect(result.output.split('\n').filter((l) => /: SKIP: /.test(l))).toEqual([]);
      } finally {
        await cluster.stop();
        cluster = null;
      }
    });
  }
});
