import { Reader } from '@tributary/protocol';
import type { Assignment } from './assignors/assignor.ts';
import { ConsumerGroupState } from './consumer-group.ts';
import type { ConsumerMember } from './consumer-member.ts';
import { decodeConsumerGroupRecord, encodeConsumerGroupKey, encodeConsumerGroupValue, type ConsumerGroupRecord, type CurrentAssignmentRecord, type MemberMetadataRecord, type ResolvedRegexRecord } from './consumer-group-records.ts';

/** The records that describe a consumer group now (group epoch, members, target and current assignments). */
function recordsOf(groupId: string, cg: ConsumerGroupState): ConsumerGroupRecord[] {
  const out: ConsumerGroupRecord[] = [{ kind: 'cg-metadata', group: groupId, value: { epoch: cg.groupEpoch } }];
  // Each resolved expression, as Kafka writes it at every refresh (a new timestamp, so a record per refresh).
  const last = cg.lastRegexRefresh;
  // Topics sorted as Kafka sorts them (Collections.sort: UTF-16 order, as JavaScript's sort).
  if (last) for (const [regex, topics] of cg.resolvedRegexes) out.push({ kind: 'cg-regex', group: groupId, regex, value: { topics: [...topics].sort(), version: last.version, timestamp: last.at } });
  for (const m of cg.members.values()) {
    out.push({
      kind: 'cg-member', group: groupId, memberId: m.memberId,
      value: { instanceId: m.instanceId, rackId: m.rackId, clientId: m.clientId, clientHost: m.clientHost, subscribedTopicNames: m.subscribedTopicNames, subscribedTopicRegex: m.subscribedTopicRegex, rebalanceTimeoutMs: m.rebalanceTimeoutMs, serverAssignor: m.serverAssignor, classic: m.classic ?? null },
    });
  }
  out.push({ kind: 'cg-target-metadata', group: groupId, value: { assignmentEpoch: cg.assignmentEpoch } });
  for (const [memberId, a] of cg.targetAssignment) out.push({ kind: 'cg-target-member', group: groupId, memberId, value: a });
  for (const m of cg.members.values()) {
    out.push({ kind: 'cg-current', group: groupId, memberId: m.memberId, value: { memberEpoch: m.memberEpoch, previousMemberEpoch: m.previousMemberEpoch, state: m.state, assigned: m.assigned, pendingRevocation: m.pendingRevocation } });
  }
  return out;
}

const keyOf = (r: ConsumerGroupRecord) => encodeConsumerGroupKey(r).toString('base64');

/**
 * What has been written for each consumer group, so that after a change only the records that
 * differ are appended (and tombstones for the ones that are gone: a member that left, a deleted
 * group), as Kafka writes a record per change. The last record per key is the group's state, so
 * replaying the log (or its compacted form) gives it back (`ConsumerGroupLoader`).
 */
export class ConsumerGroupJournal {
  /** group → record key (base64) → the value bytes last written. */
  readonly #written = new Map<string, Map<string, Buffer>>();

  /** The records to append so that the log describes the group as it is now (null: deleted or no longer a consumer group). */
  changes(groupId: string, cg: ConsumerGroupState | null): ConsumerGroupRecord[] {
    const before = this.#written.get(groupId) ?? new Map<string, Buffer>();
    const now = cg ? recordsOf(groupId, cg) : [];
    const after = new Map<string, Buffer>();
    const out: ConsumerGroupRecord[] = [];
    for (const r of now) {
      const key = keyOf(r);
      const value = encodeConsumerGroupValue(r)!;
      after.set(key, value);
      if (!before.get(key)?.equals(value)) out.push(r);
    }
    const tombstones = this.#tombstonesFor(groupId, before, after);
    if (after.size === 0) this.#written.delete(groupId);
    else this.#written.set(groupId, after);
    return [...tombstones, ...out];
  }

  /** A group loaded from the log: what it wrote counts as written. */
  seed(groupId: string, cg: ConsumerGroupState): void {
    this.changes(groupId, cg);
  }

  /** Tombstones for the keys no longer written, as Kafka orders them: a member's current assignment, target, subscription; resolved expressions; the group epoch last. */
  #tombstonesFor(groupId: string, before: Map<string, Buffer>, after: Map<string, Buffer>): ConsumerGroupRecord[] {
    const order = { 'cg-current': 0, 'cg-target-member': 1, 'cg-member': 2, 'cg-target-metadata': 3, 'cg-regex': 4, 'cg-metadata': 5 } as const;
    const out: ConsumerGroupRecord[] = [];
    for (const key of before.keys()) {
      if (after.has(key)) continue;
      const r = this.#recordOfKey(groupId, key);
      if (r) out.push(r);
    }
    return out.sort((a, b) => order[a.kind] - order[b.kind]);
  }

  /** The tombstone for a key written before (its kind and member id read back from the key bytes). */
  #recordOfKey(groupId: string, key: string): ConsumerGroupRecord | null {
    const bytes = Buffer.from(key, 'base64');
    const decoded = decodeKey(bytes.readInt16BE(0), bytes);
    if (!decoded) return null;
    return { ...decoded, group: groupId, value: null } as ConsumerGroupRecord;
  }
}

function decodeKey(type: number, bytes: Buffer): Omit<ConsumerGroupRecord, 'value'> | null {
  const r = decodeConsumerGroupRecord(type, new Reader(bytes, 2), null);
  if (!r) return null;
  const { value: _value, ...key } = r;
  return key;
}

/** Rebuilds consumer groups from their records in log order (the last record per key wins). */
export class ConsumerGroupLoader {
  readonly #groups = new Map<string, {
    epoch: number | null;
    assignmentEpoch: number;
    members: Map<string, MemberMetadataRecord>;
    targets: Map<string, Assignment>;
    current: Map<string, CurrentAssignmentRecord>;
    regexes: Map<string, ResolvedRegexRecord>;
  }>();

  add(r: ConsumerGroupRecord): void {
    let g = this.#groups.get(r.group);
    if (!g) this.#groups.set(r.group, (g = { epoch: null, assignmentEpoch: 0, members: new Map(), targets: new Map(), current: new Map(), regexes: new Map() }));
    switch (r.kind) {
      case 'cg-metadata':
        g.epoch = r.value?.epoch ?? null;
        break;
      case 'cg-target-metadata':
        g.assignmentEpoch = r.value?.assignmentEpoch ?? 0;
        break;
      case 'cg-member':
        if (r.value) g.members.set(r.memberId, r.value);
        else g.members.delete(r.memberId);
        break;
      case 'cg-target-member':
        if (r.value) g.targets.set(r.memberId, r.value);
        else g.targets.delete(r.memberId);
        break;
      case 'cg-current':
        if (r.value) g.current.set(r.memberId, r.value);
        else g.current.delete(r.memberId);
        break;
      case 'cg-regex':
        if (r.value) g.regexes.set(r.regex, r.value);
        else g.regexes.delete(r.regex);
        break;
    }
  }

  /** Every group whose epoch record is live, its members with a fresh session (from `now`). */
  groups(now: number, sessionTimeoutMs: number): Map<string, ConsumerGroupState> {
    const out = new Map<string, ConsumerGroupState>();
    for (const [groupId, g] of this.#groups) {
      if (g.epoch === null) continue;
      const cg = new ConsumerGroupState();
      cg.groupEpoch = g.epoch;
      cg.assignmentEpoch = g.assignmentEpoch;
      // Unknown until the next heartbeat: it adopts the topics as they are then, without a new epoch.
      cg.subscriptionMetadata = null;
      for (const [memberId, meta] of g.members) {
        const c = g.current.get(memberId);
        const member: ConsumerMember = {
          memberId, ...meta,
          memberEpoch: c?.memberEpoch ?? 0,
          previousMemberEpoch: c?.previousMemberEpoch ?? 0,
          state: c?.state ?? 'stable',
          assigned: c?.assigned ?? new Map(),
          // The epoch each partition was assigned at is not in Kafka's v0 record: the member's epoch stands in.
          assignmentEpochs: new Map([...(c?.assigned ?? new Map<string, Set<number>>())].flatMap(([t, ps]) => [...ps].map((p) => [`${t}:${p}`, c!.memberEpoch] as [string, number]))),
          pendingRevocation: c?.pendingRevocation ?? new Map(),
          lastHeartbeat: now,
          // A classic member's session is its JoinGroup's.
          sessionTimeoutMs: meta.classic?.sessionTimeoutMs ?? sessionTimeoutMs,
          revocationDeadline: c?.state === 'unrevoked-partitions' ? now + Math.max(0, meta.rebalanceTimeoutMs) : null,
        };
        cg.updateMember(member);
      }
      for (const [memberId, a] of g.targets) if (cg.members.has(memberId)) cg.targetAssignment.set(memberId, a);
      // The resolutions stand, as on Kafka after a load: refreshed when Kafka would (regex-refresh.ts),
      // the topics that exist at the next heartbeat counting as known then.
      for (const [regex, r] of g.regexes) cg.resolvedRegexes.set(regex, new Set(r.topics));
      if (g.regexes.size > 0) {
        const loaded = [...g.regexes.values()];
        cg.lastRegexRefresh = { at: Math.max(...loaded.map((r) => r.timestamp)), topicNames: null, version: loaded.reduce((v, r) => (r.version > v ? r.version : v), -1n) };
      }
      out.set(groupId, cg);
    }
    return out;
  }
}
