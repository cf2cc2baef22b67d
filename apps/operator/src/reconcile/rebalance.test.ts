import { describe, expect, it } from 'vitest';
import { copyProgress, placementProblem } from './rebalance.ts';

const topic = (name: string, replicas: number[][]) => ({ name, topicId: '', internal: false, partitions: replicas.map((r, partition) => ({ partition, leader: r[0]!, replicas: r, isr: r })) });

describe('when data must move (placementProblem)', () => {
  it('names brokers outside the target that still hold replicas (a drain)', () => {
    expect(placementProblem([topic('a', [[1, 2, 4], [2, 3, 1]])], [1, 2, 3])).toBe('brokers 4 still hold replicas');
  });

  it('asks for a move when replicas per broker are more than one apart (a new, empty broker)', () => {
    expect(placementProblem([topic('a', [[1, 2, 3], [2, 3, 1]])], [1, 2, 3, 4])).toBe('replicas per broker range from 0 to 2');
    expect(placementProblem([topic('a', [[1, 2, 3], [2, 3, 4]])], [1, 2, 3, 4])).toBeNull();
  });

  it('asks for a move when a partition\'s replicas sit in fewer racks than the brokers offer', () => {
    const racks = new Map([[1, 'a'], [2, 'b'], [3, 'a'], [4, 'b']]);
    expect(placementProblem([topic('a', [[1, 3], [2, 4]])], [1, 2, 3, 4], new Map(), racks)).toBe('partition a-0 has replicas in fewer racks than it could');
    expect(placementProblem([topic('a', [[1, 2], [4, 3]])], [1, 2, 3, 4], new Map(), racks)).toBeNull();
    // Without racks every broker counts as one rack: nothing to spread.
    expect(placementProblem([topic('a', [[1, 3], [2, 4]])], [1, 2, 3, 4])).toBeNull();
  });

  it('asks for a move when a topic is to have another replication factor', () => {
    expect(placementProblem([topic('a', [[1, 2], [2, 3]])], [1, 2, 3], new Map([['a', 3]]))).toBe('topic a is to have replication factor 3');
    expect(placementProblem([topic('a', [[1, 2], [2, 3]])], [1, 2, 3], new Map([['a', 2]]))).toBeNull();
  });
});

describe('copy progress of moves in flight', () => {
  it('counts what each adding replica holds of its source, capped at the source', () => {
    const moving = [
      { topic: 'a', partition: 0, replicas: [4, 2, 1], adding: [4] },
      { topic: 'a', partition: 1, replicas: [4, 5, 2], adding: [4, 5] },
    ];
    const sizes = new Map([
      ['a-0', new Map([[1, 1000], [2, 1000], [4, 250]])],
      ['a-1', new Map([[2, 400], [4, 400], [5, 999]])],
    ]);
    expect(copyProgress(moving, sizes)).toEqual({ copied: 250 + 400 + 400, total: 1000 + 400 + 400 });
  });
});
