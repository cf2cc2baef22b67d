import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Assignment, AssignorMember, ServerAssignor } from '../../apps/broker/src/group/assignors/assignor.ts';
import { rangeAssignor } from '../../apps/broker/src/group/assignors/range.ts';
import { uniformAssignor } from '../../apps/broker/src/group/assignors/uniform.ts';
import { ensureJavaPrograms, runJava } from '../support/java-client.ts';

/**
 * Differential test of the KIP-848 server assignors: the same members, subscriptions, current
 * assignments and partition counts go to Kafka 4.4's own UniformAssignor and RangeAssignor
 * (test/java's KafkaAssignors, one JVM for every case) and to Tributary's; the assignments must be
 * equal member for member, partition for partition.
 */

type Case = { name: string; assignor: ServerAssignor; topics: Record<string, number>; members: { id: string; instance?: string; topics: string[]; current?: Record<string, number[]> }[] };
type Plain = Record<string, Record<string, number[]>>;

const T = '6f1d2c3b-1111-4222-8333-944455556666';
const U = '0a7c9e21-5b3d-4c8f-9e10-2f3a4b5c6d7e';
const V = 'd41d8cd9-8f00-4b20-8e98-00998ecf8427';
// Kafka's member ids are random Uuids in base64: a spread of them, so that hash order matters.
const ids = ['Ut9T0NmyQ6eWuBZ6BpCdkA', 'f3-kMfO7RwuIxq2Cw1QY2g', 'a0XbS9xBT_GdC9yZ9JQv5w', 'Q1mL3vT2SgmH8qzP0k4rVA', 'zZ9y8X7wQ6Gv5U4t3S2r1Q', '7bKq2WmJTb2n4E1x0yZcRg', 'Lp0o9I8uS7yT6r5E4w3Q2A', 'cD3fG5hJR7kL9zX1vB3n5M'];
const many = Array.from({ length: 20 }, (_, i) => `member-${(i * 7919) % 1000}-${String.fromCharCode(65 + i)}`);

const cases: Case[] = [
  { name: 'uniform-fresh-one-topic', assignor: uniformAssignor, topics: { [T]: 7 }, members: ids.slice(0, 3).map((id) => ({ id, topics: [T] })) },
  { name: 'uniform-fresh-three-topics', assignor: uniformAssignor, topics: { [T]: 5, [U]: 4, [V]: 9 }, members: ids.slice(0, 4).map((id) => ({ id, topics: [T, U, V] })) },
  { name: 'uniform-fresh-twenty-members', assignor: uniformAssignor, topics: { [T]: 50, [U]: 13 }, members: many.map((id) => ({ id, topics: [T, U] })) },
  {
    name: 'uniform-member-added',
    assignor: uniformAssignor,
    topics: { [T]: 6 },
    members: [{ id: ids[0]!, topics: [T], current: { [T]: [0, 1, 2] } }, { id: ids[1]!, topics: [T], current: { [T]: [3, 4, 5] } }, { id: ids[2]!, topics: [T] }],
  },
  {
    name: 'uniform-member-removed',
    assignor: uniformAssignor,
    topics: { [T]: 7, [U]: 2 },
    members: [{ id: ids[0]!, topics: [T, U], current: { [T]: [0, 1], [U]: [0] } }, { id: ids[1]!, topics: [T, U], current: { [T]: [2, 3] } }],
  },
  {
    name: 'uniform-sticky-after-partitions-added',
    assignor: uniformAssignor,
    topics: { [T]: 40 },
    members: [
      { id: ids[3]!, topics: [T], current: { [T]: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19] } },
      { id: ids[4]!, topics: [T], current: { [T]: [20, 21, 22, 23, 24, 25] } },
      { id: ids[5]!, topics: [T] },
      { id: ids[6]!, topics: [T], current: { [T]: [26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39] } },
    ],
  },
  {
    name: 'uniform-sticky-topic-unsubscribed',
    assignor: uniformAssignor,
    topics: { [T]: 8, [V]: 3 },
    members: ids.slice(0, 5).map((id, i) => ({ id, topics: [T, V], current: i < 2 ? { [T]: [i * 4, i * 4 + 1, i * 4 + 2, i * 4 + 3], [U]: [i] } : undefined })),
  },
  {
    name: 'uniform-fresh-heterogeneous',
    assignor: uniformAssignor,
    topics: { [T]: 6, [U]: 3, [V]: 4 },
    members: [{ id: ids[0]!, topics: [T, U] }, { id: ids[1]!, topics: [U, V] }, { id: ids[2]!, topics: [T, V] }, { id: ids[3]!, topics: [V] }],
  },
  {
    name: 'uniform-heterogeneous-twenty-members',
    assignor: uniformAssignor,
    topics: { [T]: 30, [U]: 7, [V]: 12 },
    members: many.map((id, i) => ({ id, topics: i % 3 === 0 ? [T] : i % 3 === 1 ? [T, U] : [U, V] })),
  },
  {
    name: 'uniform-heterogeneous-member-added',
    assignor: uniformAssignor,
    topics: { [T]: 6, [U]: 4 },
    members: [{ id: ids[0]!, topics: [T, U], current: { [T]: [0, 1, 2, 3, 4, 5] } }, { id: ids[1]!, topics: [U], current: { [U]: [0, 1, 2, 3] } }, { id: ids[2]!, topics: [T] }],
  },
  {
    name: 'uniform-heterogeneous-sticky-after-change',
    assignor: uniformAssignor,
    topics: { [T]: 10, [U]: 5, [V]: 3 },
    members: [
      { id: ids[4]!, topics: [T, V], current: { [T]: [0, 1, 2, 3, 4, 5, 6], [U]: [0, 1] } },
      { id: ids[5]!, topics: [T, U], current: { [T]: [7, 8, 9], [U]: [2, 3, 4] } },
      { id: ids[6]!, topics: [U, V], current: { [V]: [0, 1, 2] } },
      { id: ids[7]!, topics: [V] },
    ],
  },
  {
    name: 'range-several-topics',
    assignor: rangeAssignor,
    topics: { [T]: 5, [U]: 2, [V]: 8 },
    members: ids.slice(0, 3).map((id) => ({ id, topics: [T, U, V] })),
  },
  {
    name: 'range-heterogeneous',
    assignor: rangeAssignor,
    topics: { [T]: 5, [U]: 2, [V]: 8 },
    members: [{ id: ids[0]!, topics: [T, U] }, { id: ids[1]!, topics: [U, V], current: { [U]: [1], [V]: [0, 1, 2, 3] } }, { id: ids[2]!, topics: [T, V] }, { id: ids[3]!, topics: [V] }],
  },
  {
    name: 'range-static-members',
    assignor: rangeAssignor,
    topics: { [T]: 7, [U]: 3 },
    members: [{ id: ids[0]!, instance: 'zeta', topics: [T, U] }, { id: ids[1]!, topics: [T, U] }, { id: ids[2]!, instance: 'alpha', topics: [T, U] }, { id: ids[3]!, topics: [T, U] }],
  },
];

const sortedIds = (c: Case) => [...c.members].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

function caseFile(c: Case): string {
  const lines = [`case ${c.name} ${c.assignor.name}`];
  for (const t of Object.keys(c.topics).sort()) lines.push(`topic ${t} ${c.topics[t]}`);
  for (const m of sortedIds(c)) {
    const current = Object.keys(m.current ?? {}).sort().map((t) => `${t}:${m.current![t]!.join('.')}`).join(';');
    lines.push(`member ${m.id} ${m.instance ?? '-'} ${m.topics.length ? [...m.topics].sort().join(',') : '-'} ${current || '-'}`);
  }
  lines.push('end');
  return lines.join('\n');
}

function tributary(c: Case): Plain {
  const members: AssignorMember[] = sortedIds(c).map((m) => ({
    memberId: m.id,
    instanceId: m.instance ?? null,
    subscribedTopicIds: new Set(m.topics),
    current: new Map(Object.entries(m.current ?? {}).map(([t, ps]) => [t, new Set(ps)])),
  }));
  const result = c.assignor.assign(members, new Map(Object.entries(c.topics)));
  const plain = (a: Assignment | undefined) => Object.fromEntries([...(a ?? new Map<string, Set<number>>())].filter(([, ps]) => ps.size > 0).sort(([x], [y]) => (x < y ? -1 : 1)).map(([t, ps]) => [t, [...ps].sort((p, q) => p - q)]));
  return Object.fromEntries(members.map((m) => [m.memberId, plain(result.get(m.memberId))]));
}

describe("KIP-848 server assignors against Kafka 4.4's own classes", () => {
  let kafka: Record<string, Plain>;
  beforeAll(async () => {
    ensureJavaPrograms();
    const dir = mkdtempSync(join(tmpdir(), 'assignors-'));
    writeFileSync(join(dir, 'cases.txt'), cases.map(caseFile).join('\n') + '\n');
    try {
      kafka = (await runJava<Record<string, Plain>>('KafkaAssignors', [join(dir, 'cases.txt')], { timeoutMs: 60_000 })).result;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  for (const c of cases) {
    it(`${c.name}: the same assignment as Kafka's ${c.assignor.name} assignor`, () => {
      expect(tributary(c)).toEqual(kafka[c.name]);
    });
  }
});
