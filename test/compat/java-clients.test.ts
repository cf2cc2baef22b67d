import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type BrokerProcess } from '../support/broker-process.ts';
import { ensureJavaPrograms, runJava } from '../support/java-client.ts';

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
type Event = { assigned?: string[]; revoked?: string[]; lost?: string[]; commitError?: string; commitAsyncError?: string };
interface GroupRun {
  settledTwo: boolean;
  assignedTwo: { a: string[]; b: string[] };
  bOwnsAll?: boolean;
  settledRestart?: boolean;
  restartedOwns?: string[];
  ownedBefore?: string[];
  bEventsAfterRestart?: Event[];
  consumed: number;
  distinct: number;
  committed: Record<string, number>;
  events: { a: Event[]; b: Event[]; a2: Event[] | null };
  finalGroup: { state: string };
}

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
  const partitions = (topic: string) => [0, 1, 2, 3].map((p) => `${topic}-${p}`);
  const runs = new Map<string, Promise<{ result: GroupRun }>>();
  const run = (assignor: string, staticMembers: boolean) => {
    const key = `${assignor}/${staticMembers}`;
    if (!runs.has(key)) runs.set(key, group(assignor, staticMembers));
    return runs.get(key)!;
  };

  for (const assignor of ['range', 'cooperative-sticky']) {
    it(`${assignor}: two members split the partitions, commit sync and async; one leaves and the other takes everything; nothing lost`, async () => {
      const topic = `jg-${assignor}-false`;
      const { result: r } = await run(assignor, false);
      expect(r.settledTwo).toBe(true);
      expect([...r.assignedTwo.a, ...r.assignedTwo.b].sort()).toEqual(partitions(topic));
      expect(r.assignedTwo.a.length).toBeGreaterThan(0);
      expect(r.assignedTwo.b.length).toBeGreaterThan(0);
      expect(r.bOwnsAll).toBe(true);
      expect(r.distinct).toBe(400);
      expect(r.committed).toEqual(Object.fromEntries(partitions(topic).map((p) => [p, 100])));
      expect(r.finalGroup.state).toBe('Empty');
      expect([...r.events.a, ...r.events.b].filter((e) => e.lost)).toEqual([]);
    }, 160_000);
  }

  it('static members: a member closed and restarted with its group.instance.id gets its partitions back; nothing lost', async () => {
    const topic = 'jg-range-true';
    const { result: r } = await run('range', true);
    expect(r.settledTwo).toBe(true);
    expect(r.settledRestart).toBe(true);
    expect(r.restartedOwns).toEqual(r.ownedBefore);
    expect(r.distinct).toBe(400);
    expect(r.committed).toEqual(Object.fromEntries(partitions(topic).map((p) => [p, 100])));
    // A static member does not leave on close: the group stays Stable, as in Kafka.
    expect(r.finalGroup.state).toBe('Stable');
  }, 160_000);

  // Kafka's coordinator behaviour that older Tributary coordinators lacked (issue 13, defects 1 and 6).
  it('the commit a member makes while it gives partitions up is accepted, as Kafka accepts it while the group prepares the rebalance', async () => {
    const { result: r } = await run('range', false);
    expect([...r.events.a, ...r.events.b].filter((e) => e.commitError || e.commitAsyncError)).toEqual([]);
  }, 160_000);
  it('a restarted static member is replaced without rebalancing the other member, as in Kafka', async () => {
    const { result: r } = await run('range', true);
    expect(r.bEventsAfterRestart).toEqual([]);
  }, 160_000);
});
