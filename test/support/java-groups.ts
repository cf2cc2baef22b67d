import { expect } from 'vitest';

/**
 * What test/java's GroupRebalance program reports (two members of one classic group, one leaving
 * or, for static members, restarting), and the checks its runs share on one broker
 * (test/compat/java-clients.test.ts) and on a cluster (test/conformance/cluster-failover.test.ts).
 * The expected values are what the same program prints against Apache Kafka 4.4.
 */
export type GroupEvent = { assigned?: string[]; revoked?: string[]; lost?: string[]; commitError?: string; commitAsyncError?: string };
export interface GroupRun {
  settledTwo: boolean;
  assignedTwo: { a: string[]; b: string[] };
  bOwnsAll?: boolean;
  settledRestart?: boolean;
  restartedOwns?: string[];
  ownedBefore?: string[];
  bEventsAfterRestart?: GroupEvent[];
  consumed: number;
  distinct: number;
  committed: Record<string, number>;
  events: { a: GroupEvent[]; b: GroupEvent[]; a2: GroupEvent[] | null };
  finalGroup: { state: string };
}

const partitions = (topic: string) => [0, 1, 2, 3].map((p) => `${topic}-${p}`);
/** Every partition committed at its 100 records. */
const committedAll = (topic: string) => Object.fromEntries(partitions(topic).map((p) => [p, 100]));

/** Dynamic members: both got partitions, the one staying took everything, nothing lost, all committed. */
export function expectDynamicGroup(r: GroupRun, topic: string): void {
  expect(r.settledTwo).toBe(true);
  expect([...r.assignedTwo.a, ...r.assignedTwo.b].sort()).toEqual(partitions(topic));
  expect(r.assignedTwo.a.length).toBeGreaterThan(0);
  expect(r.assignedTwo.b.length).toBeGreaterThan(0);
  expect(r.bOwnsAll).toBe(true);
  expect(r.distinct).toBe(400);
  expect(r.committed).toEqual(committedAll(topic));
  expect(r.finalGroup.state).toBe('Empty');
  expect([...r.events.a, ...r.events.b].filter((e) => e.lost)).toEqual([]);
}

/** Static members: the restarted one got its partitions back; nothing lost; the group stays Stable (no leave on close). */
export function expectStaticGroup(r: GroupRun, topic: string): void {
  expect(r.settledTwo).toBe(true);
  expect(r.settledRestart).toBe(true);
  expect(r.restartedOwns).toEqual(r.ownedBefore);
  expect(r.distinct).toBe(400);
  expect(r.committed).toEqual(committedAll(topic));
  expect(r.finalGroup.state).toBe('Stable');
}

/** The commits either member was refused. */
export const commitErrors = (r: GroupRun): GroupEvent[] => [...r.events.a, ...r.events.b].filter((e) => e.commitError || e.commitAsyncError);
