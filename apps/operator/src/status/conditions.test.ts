import { describe, expect, it } from 'vitest';
import { conditionStatus, setCondition } from './conditions.ts';

describe('conditions', () => {
  it('keeps the transition time while the status holds and moves it when the status changes', () => {
    const t1 = new Date('2026-01-01T00:00:00Z');
    const t2 = new Date('2026-01-01T00:05:00Z');
    let c = setCondition([], { type: 'Ready', status: 'False', reason: 'Creating', message: 'starting brokers' }, t1);
    c = setCondition(c, { type: 'Ready', status: 'False', reason: 'WaitingForBrokers', message: '1 of 3 ready' }, t2);
    expect(c).toEqual([{ type: 'Ready', status: 'False', reason: 'WaitingForBrokers', message: '1 of 3 ready', lastTransitionTime: t1.toISOString() }]);
    c = setCondition(c, { type: 'Ready', status: 'True', reason: 'Running', message: '' }, t2);
    expect(c[0]!.lastTransitionTime).toBe(t2.toISOString());
    expect(conditionStatus(c, 'Ready')).toBe('True');
    expect(conditionStatus(c, 'Missing')).toBe('Unknown');
  });
});
