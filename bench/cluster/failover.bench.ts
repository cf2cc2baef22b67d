/**
 * Leader failover time (issue 6): kill -9 the leader of a partition, measure until the first
 * acks=-1 produce succeeds on the new leader, restart the killed broker, wait until it is back in
 * the ISR, repeat. With default settings, with the lease as the only failure signal, and with tuned
 * timeouts (1 s broker lease, etcd with fast raft timers). Run: npm run bench:failover [-- kills]. Prints a Markdown table for bench/README.md.
 */
import { Kafka, logLevel } from 'kafkajs';
import { KafkaAdminClient } from '@tributary/kafka-admin';
import { startCluster } from '../../test/support/cluster.ts';
import { percentile } from '../broker/load.ts';
import { parseCli } from '@tributary/contracts/cli';
// Only the flags go to parseCli; the optional count stays a positional argument.
parseCli('bench:failover', `
Usage: npm run bench:failover [-- KILLS]   (--help, --version)

Leader failover time after kill -9, KILLS times (default 10), with default and tuned settings.
A benchmark, not a test: it takes the machine for its run; results go into bench/README.md.`, {}, process.argv.slice(2).filter((a) => a.startsWith('-')));

const KILLS = Number(process.argv[2] ?? 10);

async function failovers(label: string, settings: Record<string, string>, etcd?: { heartbeatMs: number; electionMs: number }): Promise<string[]> {
  const cluster = await startCluster({ brokers: 3, settings: { 'leader.imbalance.check.interval.seconds': '3600', ...settings }, ...(etcd ? { etcd } : {}) });
  const times: number[] = [];
  try {
    const controller = await cluster.controllerId();
    const admin = await KafkaAdminClient.connect(cluster.brokers.get(controller)!.bootstrap);
    await admin.createTopics([{ name: 'failover', partitions: 1, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } }]);
    admin.close();
    await cluster.waitForIsr('failover', 0, 3);
    for (let i = 0; i < KILLS; i++) {
      const leader = await cluster.leaderOf('failover', 0);
      const kafka = new Kafka({ clientId: 'failover-bench', brokers: cluster.bootstrap.filter((b) => b !== cluster.brokers.get(leader)!.bootstrap), logLevel: logLevel.NOTHING, retry: { retries: 200, initialRetryTime: 20, maxRetryTime: 50, factor: 0 } });
      const producer = kafka.producer({ idempotent: true });
      await producer.connect();
      await producer.send({ topic: 'failover', acks: -1, messages: [{ value: 'warm-up' }] });
      const killedAt = performance.now();
      await cluster.brokers.get(leader)!.kill();
      await producer.send({ topic: 'failover', acks: -1, messages: [{ value: `after-kill-${i}` }] });
      times.push(performance.now() - killedAt);
      console.error(`${label}: kill ${i + 1}/${KILLS} of broker ${leader}: ${times.at(-1)!.toFixed(0)} ms`);
      await producer.disconnect();
      await cluster.restart(leader);
      await cluster.waitForIsr('failover', 0, 3, 60_000);
    }
  } finally {
    await cluster.stop();
  }
  return [`leader failover, ${label} (${KILLS} kills)`, `p50 ${percentile(times, 50).toFixed(0)} ms / p99 ${percentile(times, 99).toFixed(0)} ms (max ${Math.max(...times).toFixed(0)} ms)`];
}

async function main() {
  const rows = [
    [...(await failovers('peer probe on (broker.session.timeout.ms=3000)', { 'broker.session.timeout.ms': '3000' })), 'goal < 5 s'],
    [...(await failovers('lease only (tributary.peer.probe.enable=false, broker.session.timeout.ms=3000)', { 'tributary.peer.probe.enable': 'false', 'broker.session.timeout.ms': '3000' })), 'what a hung or partitioned broker costs'],
    [...(await failovers('tuned (broker.session.timeout.ms=1000, etcd heartbeat 20 ms / election 200 ms, peer probe on)', { 'broker.session.timeout.ms': '1000' }, { heartbeatMs: 20, electionMs: 200 })), 'goal < 1 s'],
  ];
  console.log('| measurement | result | goal |\n| --- | --- | --- |');
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
}

await main();
