import { describe, expect, it } from 'vitest';
import { ErrorCode } from '@tributary/protocol';
import { addedAssignment, topicAssignment } from './manual-assignment.ts';
import { TopicError } from './topic-error.ts';

const brokers = new Set([1, 2, 3]);
const refused = (f: () => unknown): string => {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(TopicError);
    expect((err as TopicError).errorCode).toBe(ErrorCode.INVALID_REPLICA_ASSIGNMENT);
    return (err as Error).message;
  }
  throw new Error('accepted');
};

describe('manual replica assignments (Kafka controller rules)', () => {
  it('orders the partitions by index', () => {
    expect(topicAssignment([{ partitionIndex: 1, brokerIds: [2, 3] }, { partitionIndex: 0, brokerIds: [1, 2] }], brokers)).toEqual([[1, 2], [2, 3]]);
  });
  it('refuses gaps, repeats, empty lists, duplicate and unknown brokers, and mixed replication factors', () => {
    expect(refused(() => topicAssignment([{ partitionIndex: 0, brokerIds: [1] }, { partitionIndex: 2, brokerIds: [1] }], brokers))).toBe('partitions should be a consecutive 0-based integer sequence');
    expect(refused(() => topicAssignment([{ partitionIndex: 0, brokerIds: [1] }, { partitionIndex: 0, brokerIds: [2] }], brokers))).toMatch(/multiple manual partition assignments for partition 0/);
    expect(refused(() => topicAssignment([{ partitionIndex: 0, brokerIds: [] }], brokers))).toMatch(/empty replica list/);
    expect(refused(() => topicAssignment([{ partitionIndex: 0, brokerIds: [1, 1] }], brokers))).toMatch(/broker 1 more than once/);
    expect(refused(() => topicAssignment([{ partitionIndex: 0, brokerIds: [9] }], brokers))).toMatch(/broker 9, but no such broker is registered/);
    expect(refused(() => topicAssignment([{ partitionIndex: 0, brokerIds: [1, 2] }, { partitionIndex: 1, brokerIds: [3] }], brokers))).toMatch(/1 replica\(s\).*previous partitions, which have 2/);
  });
  it('CreatePartitions needs one list per added partition, each of the topic replication factor', () => {
    expect(addedAssignment([{ brokerIds: [3, 1] }], 1, brokers, 2)).toEqual([[3, 1]]);
    expect(refused(() => addedAssignment([{ brokerIds: [3, 1] }], 2, brokers, 2))).toBe('Attempted to add 2 additional partition(s), but only 1 assignment(s) were specified.');
    expect(refused(() => addedAssignment([{ brokerIds: [3] }], 1, brokers, 2))).toMatch(/not consistent/);
  });
});
