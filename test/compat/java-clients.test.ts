import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type BrokerProcess } from '../support/broker-process.ts';
import { ensureJavaPrograms, runJava } from '../support/java-client.ts';
import { commitErrors, expectDynamicGroup, expectStaticGroup, type GroupRun } from '../support/java-groups.ts';

// Apache Kafka's Java producer and consumer (kafka-clients 4.4, unchanged) against one broker:
// every acks setting with every codec, keys and headers; offsetsForTimes and seek; classic groups
// with range, cooperative-sticky and static membership, commitSync and commitAsync, a member
// leaving. Expected values are what the same programs print against Apache Kafka 4.4.
let broker: BrokerProcess;

beforeAll(async () => {
  ensureJavaPrograms();
  broker = await startBroker({ settings: { 'group.initial.rebalance.delay.ms': '0' } });
}, 600_000);
afterAll(async () => {
  await broker?.destroy();
});

interface ProducerRow { topic: string; acks: string; codec: string; acked: number; offsetsKnown: boolean; readBack: number; intact: number; ordered: boolean }
describe('Java producer', () => {
  it('acks 0, 1 and all with none/gzip/snappy/lz4/zstd: keyed records with headers read back intact and in order', async () => {
    const { result } = await runJava<ProducerRow[]>('ProducerMatrix', [broker.bootstrap, 'jp', '200'], { timeoutMs: 180_000 });
    expect(result).toHaveLength(15);
    for (const row of result) {
      expect(row, row.topic).toMatchObject({ acked: 200, readBack: 200, intact: 200, ordered: true });
      // acks=0 gets no offsets back (the client reports -1), as from Kafka.
      expect(row.offsetsKnown, row.topic).toBe(row.acks !== '0');
    }
  }, 200_000);
});

describe('Java consumer', () => {
  it('offsetsForTimes finds the first record at or after a time; seek there and poll', async () => {
    const { result: r } = await runJava<Record<string, unknown>>('SeekByTime', [broker.bootstrap, 'jt-time']);
    expect(r).toEqual({
      beginning: 0,
      end: 100,
      'offsetsForTimes.inside': { offset: 43, timestampDelta: 43_000 },
      'offsetsForTimes.exact': { offset: 42, timestampDelta: 42_000 },
      'offsetsForTimes.before': { offset: 0, timestampDelta: 0 },
      'offsetsForTimes.after': null,
      seekAndPoll: { offset: 43, value: 'v43', timestampDelta: 43_000 },
    });
  }, 60_000);

  const group = (assignor: string, staticMembers: boolean) => runJava<GroupRun>('GroupRebalance', [broker.bootstrap, `jg-${assignor}-${staticMembers}`, `jg-${assignor}-${staticMembers}`, assignor, String(staticMembers)], { timeoutMs: 150_000 });
  const runs = new Map<string, Promise<{ result: GroupRun }>>();
  const run = (assignor: string, staticMembers: boolean) => {
    const key = `${assignor}/${staticMembers}`;
    if (!runs.has(key)) runs.set(key, group(assignor, staticMembers));
    return runs.get(key)!;
  };

  for (const assignor of ['range', 'cooperative-sticky']) {
    it(`${assignor}: two members split the partitions, commit sync and async; one leaves and the other takes everything; nothing lost`, async () => {
      const { result: r } = await run(assignor, false);
      expectDynamicGroup(r, `jg-${assignor}-false`);
    }, 160_000);
  }

  it('static members: a member closed and restarted with its group.instance.id gets its partitions back; nothing lost', async () => {
    const { result: r } = await run('range', true);
    expectStaticGroup(r, 'jg-range-true');
  }, 160_000);

  // Kafka's coordinator behaviour that older Tributary coordinators lacked (issue 13, defects 1 and 6).
  it('the commit a member makes while it gives partitions up is accepted, as Kafka accepts it while the group prepares the rebalance', async () => {
    const { result: r } = await run('range', false);
    expect(commitErrors(r)).toEqual([]);
  }, 160_000);
  it('a restarted static member is replaced without rebalancing the other member, as in Kafka', async () => {
    const { result: r } = await run('range', true);
    expect(r.bEventsAfterRestart).toEqual([]);
  }, 160_000);
});
