import { describe, expect, it } from 'vitest';
import type { Assignment, AssignorMember } from './assignor.ts';
import { rangeAssignor } from './range.ts';
import { uniformAssignor } from './uniform.ts';

const member = (memberId: string, topics: string[], current: Record<string, number[]> = {}): AssignorMember => ({
  memberId,
  subscribedTopicIds: new Set(topics),
  current: new Map(Object.entries(current).map(([t, ps]) => [t, new Set(ps)])),
});
const plain = (a: Map<string, Assignment>) => Object.fromEntries([...a].map(([m, x]) => [m, Object.fromEntries([...x].map(([t, ps]) => [t, [...ps].sort((p, q) => p - q)]))]));
const sizes = (a: Map<string, Assignment>) => [...a.values()].map((x) => [...x.values()].reduce((n, ps) => n + ps.size, 0));

describe('uniform assignor', () => {
  it('gives every partition to exactly one member, counts differing by at most one', () => {
    const out = uniformAssignor.assign([member('a', ['t']), member('b', ['t']), member('c', ['t'])], new Map([['t', 7]]));
    const all = [...out.values()].flatMap((x) => [...(x.get('t') ?? [])]).sort((p, q) => p - q);
    expect(all).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(Math.max(...sizes(out)) - Math.min(...sizes(out))).toBeLessThanOrEqual(1);
  });

  it('is sticky: a member joining takes partitions from the others and nothing else moves (as Kafka 4.4 moved them)', () => {
    // What Kafka 4.4 answered for the same join (test/conformance/protocol-consumer-groups.test.ts): B gives up its last partition.
    const out = uniformAssignor.assign([member('A', ['t'], { t: [0, 1] }), member('B', ['t'], { t: [2, 3] }), member('S', ['t'])], new Map([['t', 4]]));
    expect(plain(out)).toEqual({ A: { t: [0, 1] }, B: { t: [2] }, S: { t: [3] } });
  });

  it('a member subscribed to nothing that exists gets nothing; partitions of a topic only one member wants go to it', () => {
    const out = uniformAssignor.assign([member('a', ['t', 'u']), member('b', ['t']), member('c', ['gone'])], new Map([['t', 2], ['u', 2]]));
    expect(plain(out).c).toEqual({});
    expect(plain(out).a!.u).toEqual([0, 1]);
    expect(sizes(out).slice(0, 2).reduce((x, y) => x + y)).toBe(4);
  });

  it('drops partitions that no longer exist and topics no longer subscribed from the previous assignment', () => {
    const out = uniformAssignor.assign([member('a', ['t'], { t: [0, 5], u: [0] })], new Map([['t', 2]]));
    expect(plain(out)).toEqual({ a: { t: [0, 1] } });
  });
});

describe('range assignor', () => {
  it('per topic, contiguous ranges in member-id order, the first members one more', () => {
    const out = rangeAssignor.assign([member('b', ['t', 'u']), member('a', ['t', 'u'])], new Map([['t', 5], ['u', 2]]));
    expect(plain(out)).toEqual({ a: { t: [0, 1, 2], u: [0] }, b: { t: [3, 4], u: [1] } });
  });
});
