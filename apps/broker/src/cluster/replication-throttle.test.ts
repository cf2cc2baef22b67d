import { describe, expect, it } from 'vitest';
import { ReplicationThrottle } from './replication-throttle.ts';

/** Dynamic broker configs in memory, keyed by broker id ('' = cluster default). */
function store(entries: Record<string, Record<string, string>>) {
  return { get: (name: string) => ({ ...entries[name] }), set: async () => {}, names: () => Object.keys(entries) };
}

const NODE = 3;
const throttle = (o: { rates?: Record<string, Record<string, string>>; topic?: Record<string, string>; isr?: number[] } = {}) =>
  new ReplicationThrottle({
    nodeId: NODE,
    brokerConfigs: store(o.rates ?? { '3': { 'leader.replication.throttled.rate': '1000', 'follower.replication.throttled.rate': '1000' } }),
    topicConfigs: (t) => (t === 't' ? (o.topic ?? { 'leader.replication.throttled.replicas': '0:3,1:4', 'follower.replication.throttled.replicas': '0:3' }) : undefined),
    inIsr: (_t, _p, id) => (o.isr ?? []).includes(id),
  });

describe('replication throttles (KIP-73)', () => {
  it('holds back a throttled replica once the bytes over the window pass the rate, and lets it go when the window has moved on', () => {
    const r = throttle();
    expect(r.leaderHoldsBack('t', 0, 5, 0)).toBe(false);
    // 20,000 B over the 10 s the window counts at least: 2,000 B/s > 1,000 B/s.
    r.leaderSent('t', 0, 20_000, 0);
    expect(r.leaderHoldsBack('t', 0, 5, 100)).toBe(true);
    // Once the sample has left the 11 s window, the rate is 0 again.
    expect(r.leaderHoldsBack('t', 0, 5, 11_500)).toBe(false);
  });

  it('throttles only the replicas the topic lists for this broker, and never an in-sync follower', () => {
    const r = throttle({ isr: [7] });
    r.leaderSent('t', 0, 50_000, 0);
    r.leaderSent('t', 1, 50_000, 0); // 1:4 is broker 4's, not counted here
    expect(r.leaderHoldsBack('t', 0, 5, 1)).toBe(true);
    expect(r.leaderHoldsBack('t', 1, 5, 1)).toBe(false);
    expect(r.leaderHoldsBack('t', 0, 7, 1)).toBe(false);
    expect(r.leaderHoldsBack('other', 0, 5, 1)).toBe(false);
  });

  it('measures the follower side apart from the leader side, on what it receives', () => {
    const r = throttle();
    r.followerReceived('t', 0, 50_000, 0);
    expect(r.followerHoldsBack('t', 0, 1)).toBe(true);
    expect(r.leaderHoldsBack('t', 0, 5, 1)).toBe(false);
  });

  it('takes the broker\'s own rate over the cluster default, and throttles nothing without a rate', () => {
    expect(throttle({ rates: { '': { 'leader.replication.throttled.rate': '10' }, '3': { 'leader.replication.throttled.rate': '20' } } }).rate('leader')).toBe(20);
    expect(throttle({ rates: { '': { 'leader.replication.throttled.rate': '10' } } }).rate('leader')).toBe(10);
    const none = throttle({ rates: {} });
    none.leaderSent('t', 0, 1e9, 0);
    expect(none.leaderHoldsBack('t', 0, 5, 1)).toBe(false);
  });

  it("reads '*' as every partition", () => {
    const r = throttle({ topic: { 'leader.replication.throttled.replicas': ' * ' } });
    r.leaderSent('t', 9, 50_000, 0);
    expect(r.leaderHoldsBack('t', 9, 5, 1)).toBe(true);
  });
});
