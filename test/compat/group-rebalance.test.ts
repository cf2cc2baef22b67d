import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { bothBrokers, useTargetBroker } from '../support/both-brokers.ts';
import { kcatProduce } from '../support/kcat.ts';

// Rebalances as a real client (librdkafka, through confluent-kafka for Python) drives them:
// - members that commit in their revocation callback (the group is then PreparingRebalance) lose
//   no commit, so the partitions' next owners read nothing twice — Kafka accepts those commits and
//   answers REBALANCE_IN_PROGRESS only in CompletingRebalance;
// - a follower that changes its subscription rebalances the group: it gives up the dropped
//   topic's partitions and the leader takes them.
// Both scenarios run against Tributary and against Apache Kafka 4.4 with the same assertions.
const run = promisify(execFile);
const py = (script: string) => join(import.meta.dirname, 'python', script);
const targets = bothBrokers({ 'group.initial.rebalance.delay.ms': '0' });

interface MemberOutput {
  consumed: [string, number, number][];
  assignments: [string, number][][];
  commits: [string, string][];
  errors: string[];
}

describe.each(targets)('%s', (_name, start) => {
  const broker = useTargetBroker(start);

  async function member(config: Record<string, unknown>): Promise<MemberOutput> {
    const { stdout } = await run('/usr/bin/python3', [py('rebalance_member.py'), JSON.stringify({ bootstrap: broker.bootstrap, ...config })], { timeout: 90_000 });
    return JSON.parse(stdout) as MemberOutput;
  }

  /** `count` keyed messages spread over the topic's partitions (-p -1: librdkafka's partitioner). */
  const produce = (topic: string, count: number) => kcatProduce(['-b', broker.bootstrap, '-t', topic, '-K:', '-p', '-1'], Array.from({ length: count }, (_, i) => `k${i}:${i}`).join('\n') + '\n');

  async function createTopics(topics: Record<string, number>): Promise<void> {
    const list = Object.entries(topics).map(([name, n]) => `NewTopic("${name}", num_partitions=${n}, replication_factor=1)`).join(', ');
    await run('/usr/bin/python3', ['-c', `
from confluent_kafka.admin import AdminClient, NewTopic
a = AdminClient({"bootstrap.servers": "${broker.bootstrap}"})
for f in a.create_topics([${list}]).values(): f.result(timeout=15)`], { timeout: 30_000 });
  }

  it('members committing as their partitions are revoked lose no commit: nothing is read twice across three rebalances', { timeout: 180_000 }, async () => {
    await createTopics({ rb: 4 });
    await produce('rb', 2000);
    // The first member reads slowly; two more join while it is mid-stream, each join a rebalance.
    const slow = { group: 'rb-g', topics: ['rb'], per_message_s: 0.004, idle_s: 4, max_s: 80 };
    const outputs = await Promise.all([member(slow), member({ ...slow, start_delay_s: 2 }), member({ ...slow, start_delay_s: 4 })]);

    const all = outputs.flatMap((o) => o.consumed.map(([t, p, off]) => `${t}/${p}/${off}`));
    const unique = new Set(all);
    expect(unique.size).toBe(2000);
    expect(all.length - unique.size, 'messages read twice').toBe(0);
    const revokeCommits = outputs.flatMap((o) => o.commits.filter(([why]) => why === 'revoke').map(([, result]) => result));
    expect(revokeCommits.filter((r) => r === 'ok').length, 'commits made during a rebalance').toBeGreaterThan(0);
    expect(revokeCommits.filter((r) => r !== 'ok' && r !== 'nothing')).toEqual([]);
    // Each member's last commit, before close(), holds everything it read (its revocation inside
    // close() commits nothing: python/rebalance_member.py says why).
    const closeCommits = outputs.flatMap((o) => o.commits.filter(([why]) => why === 'close').map(([, result]) => result));
    expect(closeCommits).toHaveLength(3);
    expect(closeCommits.filter((r) => r !== 'ok' && r !== 'nothing')).toEqual([]);
    // Whichever member joined first (on a loaded machine a later-started Python process can join
    // first) was rebalanced as the others joined.
    expect(Math.max(...outputs.map((o) => o.assignments.length)), 'the first member to join went through the rebalances').toBeGreaterThanOrEqual(2);
    expect(outputs.flatMap((o) => o.errors)).toEqual([]);
  });

  it('a follower that drops a topic from its subscription rebalances the group: the leader takes that topic\'s partitions', { timeout: 180_000 }, async () => {
    await createTopics({ 'sub-a': 2, 'sub-b': 2 });
    await produce('sub-a', 40);
    await produce('sub-b', 40);
    // Both subscribe to both topics (range: each gets one partition of each); the second to join, a
    // follower, then subscribes to sub-a alone. Both run for a bounded time.
    const both = { group: 'sub-g', topics: ['sub-a', 'sub-b'], idle_s: 1000 };
    const [leader, follower] = await Promise.all([member({ ...both, max_s: 16 }), member({ ...both, start_delay_s: 2, max_s: 14, resubscribe: { after_s: 3, topics: ['sub-a'] } })]);

    const topicsOf = (assignment: [string, number][] | undefined) => new Set((assignment ?? []).map(([t]) => t));
    // Before the change the follower held a partition of sub-b...
    expect(follower.assignments.some((a) => topicsOf(a).has('sub-b'))).toBe(true);
    // ...after it, none, and the leader holds both of sub-b's partitions.
    expect(topicsOf(follower.assignments.at(-1))).toEqual(new Set(['sub-a']));
    expect(leader.assignments.at(-1)).toEqual(expect.arrayContaining([['sub-b', 0], ['sub-b', 1]]));
    expect(leader.errors.concat(follower.errors)).toEqual([]);
  });
});
