import { afterAll, beforeAll, expect, it } from 'vitest';
import { Etcd3 } from 'etcd3';
import { KafkaAdminClient } from '@tributary/kafka-admin';
import { clusterPrefix } from '../../apps/broker/src/cluster/cluster-view.ts';
import { startCluster, type TestCluster } from '../support/cluster.ts';
import { until } from '../support/until.ts';

/**
 * Issue 13's lease-loss cascade: on 3 brokers holding ~2,000 partitions, a broker killed -9 made
 * the survivors lose their 6 s etcd leases again and again while they took its partitions over
 * (each loss a new round of elections). The controller wrote one etcd transaction per partition
 * (every broker then re-applied the whole view once per write), and each new leader wrote and
 * fsynced its epoch checkpoint on the event loop, partition after partition: the survivors' loops
 * stalled for seconds (measured: 21–38 s until every partition had a live leader, both survivors'
 * leases lost, on an idle machine; bench/cluster/scale.bench.ts). Here 1,200 partitions at RF 3
 * (a third led by the victim) and a 6 s session: the survivors must lead everything within 10 s and
 * keep their leases, and the controller must stay where it was; and etcd itself shows the
 * controller's elections written in batches (the partitions' keys share a few revisions). That last
 * check is the one that fails on the earlier broker whatever the machine's speed: with this many
 * partitions and no other load, it took the earlier broker 9.3 s, just within the bound, and its
 * leases held (a run of bench/cluster/scale.bench.ts with 1,920 partitions and load lost them).
 */
const TOPICS = 100;
const PARTITIONS = 12;
let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster({ brokers: 3, settings: { 'broker.session.timeout.ms': '6000', 'leader.imbalance.check.interval.seconds': '3600', 'replica.lag.time.max.ms': '10000' }, timeoutMs: 120_000 });
}, 180_000);
afterAll(async () => cluster?.stop(), 60_000);

it('a broker leading 400 of 1,200 partitions is killed -9: the survivors take them over within 10 s and keep their etcd leases', async () => {
  const controller = await cluster.controllerId();
  const admin = await KafkaAdminClient.connect(cluster.brokers.get(controller)!.bootstrap, { timeoutMs: 120_000 });
  try {
    for (let i = 0; i < TOPICS; i += 20) {
      const created = await admin.createTopics(Array.from({ length: 20 }, (_, j) => ({ name: `scale-${i + j}`, partitions: PARTITIONS, replicationFactor: 3 })));
      expect([...created.values()].filter((e) => e !== null)).toEqual([]);
    }
    // Every replica in sync before the kill (the followers of every partition fetching).
    await until(async () => ((await admin.metadata(null)).topics.flatMap((t) => t.partitions).every((p) => p.isr.length === 3) ? true : null), 'every ISR full', 120_000);

    const victim = [...cluster.brokers.keys()].find((id) => id !== controller)!;
    const led = (await admin.metadata(null)).topics.flatMap((t) => t.partitions).filter((p) => p.leader === victim).length;
    expect(led, 'the victim leads a third of the partitions').toBeGreaterThan(300);
    const etcd = new Etcd3({ hosts: cluster.etcd.endpoint });
    const partitionKeys = etcd.namespace(`${clusterPrefix(cluster.clusterId)}partitions/`);
    const revisionBefore = BigInt((await partitionKeys.getAll().prefix('').exec()).header.revision);
    const from = new Map([...cluster.brokers].map(([id, b]) => [id, b.output().length]));
    const killedAt = Date.now();
    await cluster.brokers.get(victim)!.kill();

    // Every partition led by a survivor, and the victim out of every ISR, as the controller says.
    await until(
      async () => {
        const partitions = (await admin.metadata(null)).topics.flatMap((t) => t.partitions);
        return partitions.every((p) => p.leader >= 0 && p.leader !== victim && !p.isr.includes(victim)) ? true : null;
      },
      'every partition led by a survivor, the victim out of every ISR',
      10_000,
    );
    const tookMs = Date.now() - killedAt;
    // The partition states written since the kill: in transactions of up to 100 partitions, not one each.
    const written = (await partitionKeys.getAll().prefix('').exec()).kvs.filter((kv) => BigInt(kv.mod_revision) > revisionBefore);
    etcd.close();
    expect(written.length, 'partition states written since the kill').toBeGreaterThanOrEqual(1200);
    expect(new Set(written.map((kv) => kv.mod_revision)).size, 'etcd revisions they were written in').toBeLessThan(100);

    // Two session timeouts more: a survivor whose loop stalled past its lease would re-register.
    await new Promise((r) => setTimeout(r, 12_000 - Math.min(tookMs, 12_000)));
    const since = (id: number) => cluster.brokers.get(id)!.output().slice(from.get(id));
    for (const id of cluster.brokers.keys()) {
      if (id === victim) continue;
      expect(since(id).split('\n').filter((l) => l.includes('"etcd lease lost')), `broker ${id} kept its lease`).toEqual([]);
    }
    const md = await admin.metadata([]);
    expect(md.brokers.map((b) => b.nodeId).sort()).toEqual([...cluster.brokers.keys()].filter((id) => id !== victim).sort());
    expect(md.controllerId, 'the controller did not move').toBe(controller);
    console.log(`takeover of ${led} partitions: ${tookMs} ms`);
  } finally {
    admin.close();
  }
}, 300_000);
