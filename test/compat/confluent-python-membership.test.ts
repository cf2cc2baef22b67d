import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { startBroker, type BrokerProcess } from '../support/broker-process.ts';

// librdkafka (confluent-kafka for Python) drives the two group features that live mostly in the
// client: cooperative (incremental) rebalancing with cooperative-sticky, and static membership
// with group.instance.id. Each member reports its assign/revoke callbacks as they happen.
interface MemberEvent {
  event: 'assign' | 'revoke' | 'consumed' | 'closed';
  partitions?: number[];
  value?: number;
  values?: number[];
  errors?: string[];
  t: number;
}

interface Member {
  events: MemberEvent[];
  process: ChildProcess;
  stopFile: string;
  exited: Promise<void>;
  output: () => string;
}

let broker: BrokerProcess;
let scratch: string;
const members: Member[] = [];

beforeAll(async () => {
  broker = await startBroker({ settings: { 'group.initial.rebalance.delay.ms': '0' } });
  scratch = mkdtempSync(join(tmpdir(), 'py-membership-'));
});
afterEach(async () => {
  for (const m of members.splice(0)) {
    if (m.process.exitCode === null && m.process.signalCode === null) m.process.kill('SIGKILL');
    await m.exited;
  }
});
afterAll(async () => {
  await broker?.destroy();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

function member(options: { topic: string; group: string; strategy: string; instance?: string; sessionMs?: number }): Member {
  const stopFile = join(scratch, `stop-${Math.random().toString(36).slice(2)}`);
  const args = { bootstrap: broker.bootstrap, topic: options.topic, group: options.group, strategy: options.strategy, instance: options.instance ?? null, session_ms: options.sessionMs ?? 10_000, stop_file: stopFile, max_s: 150 };
  const child = spawn('/usr/bin/python3', [join(import.meta.dirname, 'python', 'group_member.py'), JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const events: MemberEvent[] = [];
  let partial = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => {
    partial += d.toString();
    const lines = partial.split('\n');
    partial = lines.pop()!;
    for (const line of lines) if (line.trim()) events.push(JSON.parse(line) as MemberEvent);
  });
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const m: Member = { events, process: child, stopFile, exited, output: () => stderr };
  members.push(m);
  return m;
}

/** The partitions a member holds now, replaying its callbacks (incremental in cooperative mode). */
function holding(m: Member, incremental: boolean): Set<number> {
  const held = new Set<number>();
  for (const e of m.events) {
    if (e.event === 'assign') {
      if (!incremental) held.clear();
      for (const p of e.partitions!) held.add(p);
    } else if (e.event === 'revoke') {
      if (incremental) for (const p of e.partitions!) held.delete(p);
      else held.clear();
    }
  }
  return held;
}

async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function stop(m: Member): Promise<MemberEvent> {
  writeFileSync(m.stopFile, '');
  await m.exited;
  const closed = m.events.find((e) => e.event === 'closed');
  if (!closed) throw new Error(`member exited without closing: ${m.output()}`);
  return closed;
}

async function createTopic(topic: string, partitions: number): Promise<void> {
  await new Promise<void>((resolve, reject) =>
    execFile('/usr/bin/python3', ['-c', `
from confluent_kafka.admin import AdminClient, NewTopic
a = AdminClient({"bootstrap.servers": "${broker.bootstrap}"})
a.create_topics([NewTopic("${topic}", num_partitions=${partitions}, replication_factor=1)])["${topic}"].result(timeout=15)`], { timeout: 30_000 }, (err) => (err ? reject(err) : resolve())),
  );
}

async function produce(topic: string, from: number, count: number): Promise<void> {
  const lines = Array.from({ length: count }, (_, i) => `k${from + i}:${from + i}`).join('\n') + '\n';
  await new Promise<void>((resolve, reject) => {
    const child = execFile('kcat', ['-P', '-b', broker.bootstrap, '-t', topic, '-K:', '-p', '-1'], { timeout: 30_000 }, (err) => (err ? reject(err) : resolve()));
    child.stdin!.end(lines);
  });
}

const consumed = (m: Member) => m.events.filter((e) => e.event === 'consumed').map((e) => e.value!);
const union = (...sets: Set<number>[]) => new Set(sets.flatMap((s) => [...s]));

it('cooperative-sticky: a joining member takes partitions incrementally, the first never gives up all of them', { timeout: 150_000 }, async () => {
  await createTopic('coop', 4);
  await produce('coop', 0, 400);
  const a = member({ topic: 'coop', group: 'coop-g', strategy: 'cooperative-sticky' });
  await until(() => holding(a, true).size === 4, 60_000, 'the first member to own all four partitions');

  const b = member({ topic: 'coop', group: 'coop-g', strategy: 'cooperative-sticky' });
  await until(() => holding(a, true).size === 2 && holding(b, true).size === 2, 60_000, 'the partitions to be shared two and two');
  expect(union(holding(a, true), holding(b, true))).toEqual(new Set([0, 1, 2, 3]));
  // Incremental: a revoked only the two partitions that moved and never all four.
  const aRevokes = a.events.filter((e) => e.event === 'revoke');
  expect(aRevokes.length).toBeGreaterThan(0);
  for (const r of aRevokes) expect(r.partitions!.length).toBeLessThan(4);
  expect(b.events.filter((e) => e.event === 'revoke')).toEqual([]);

  await produce('coop', 400, 400);
  // b leaves: a gets its two partitions back as an incremental assignment.
  const bClosed = await stop(b);
  await until(() => holding(a, true).size === 4, 60_000, 'the first member to take the partitions back');
  await until(() => new Set([...consumed(a), ...bClosed.values!]).size === 800, 60_000, 'every message to be consumed');
  const aClosed = await stop(a);
  expect(aClosed.errors!.concat(bClosed.errors!)).toEqual([]);
  // Every message consumed; duplicates are allowed (at-least-once across a handover), losses are not.
  expect(new Set([...aClosed.values!, ...bClosed.values!]).size).toBe(800);
});

it('static membership: a member restarted with its group.instance.id gets its partitions back without a rebalance; a silent one is removed after its session timeout', { timeout: 150_000 }, async () => {
  await createTopic('static', 4);
  await produce('static', 0, 200);
  const a = member({ topic: 'static', group: 'static-g', strategy: 'range', instance: 'member-a', sessionMs: 30_000 });
  await until(() => holding(a, false).size === 4, 60_000, 'the first member to own all partitions');
  const b = member({ topic: 'static', group: 'static-g', strategy: 'range', instance: 'member-b', sessionMs: 30_000 });
  await until(() => holding(a, false).size === 2 && holding(b, false).size === 2, 60_000, 'two partitions each');
  const bHeld = holding(b, false);
  const aEventsBefore = a.events.filter((e) => e.event !== 'consumed').length;

  // kill -9: no LeaveGroup. The restarted process joins with the same instance id and an empty member id.
  b.process.kill('SIGKILL');
  await b.exited;
  const b2 = member({ topic: 'static', group: 'static-g', strategy: 'range', instance: 'member-b', sessionMs: 30_000 });
  await until(() => holding(b2, false).size > 0, 60_000, 'the restarted member to be assigned');
  expect(holding(b2, false)).toEqual(bHeld);
  await produce('static', 200, 200);
  await until(() => consumed(b2).length > 0, 60_000, 'the restarted member to consume');
  // No rebalance: the other member saw no revoke and no new assignment.
  expect(a.events.filter((e) => e.event !== 'consumed').length).toBe(aEventsBefore);

  // Silent past its 6 s session timeout (kill -9 again, no restart): the broker removes it and a takes over.
  const restarted = b2;
  const a6 = member({ topic: 'static', group: 'static-s', strategy: 'range', instance: 'short-a', sessionMs: 6_000 });
  await until(() => holding(a6, false).size === 4, 60_000, 'short-session member a to own all partitions');
  const b6 = member({ topic: 'static', group: 'static-s', strategy: 'range', instance: 'short-b', sessionMs: 6_000 });
  await until(() => holding(a6, false).size === 2 && holding(b6, false).size === 2, 60_000, 'two partitions each (short sessions)');
  b6.process.kill('SIGKILL');
  const killedAt = Date.now();
  await until(() => holding(a6, false).size === 4, 60_000, 'the survivor to get every partition after the session timeout');
  expect(Date.now() - killedAt).toBeGreaterThanOrEqual(4_000);
  await stop(a6);
  await stop(restarted);
  await stop(a);
});
