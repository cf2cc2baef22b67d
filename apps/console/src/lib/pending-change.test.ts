import { describe, expect, it } from 'vitest';
import { describePendingChange } from './pending-change.ts';
import { DEFAULT_SIZE, toSpec } from './spec-form.ts';

describe('pending downgrade', () => {
  it('names the levels that fall and when they apply', () => {
    const spec = toSpec({ ...DEFAULT_SIZE, brokers: 3, bandwidthMBps: 100, mode: 'prepaid' });
    const lower = { ...spec, bandwidthMBps: 40 };
    expect(describePendingChange(spec, { spec: lower, appliesAt: null })).toBe('bandwidth 100 → 40 MB/s; applies at the next renewal');
    expect(describePendingChange(spec, { spec: { ...lower, brokers: 1 }, appliesAt: null })).toBe('brokers 3 → 1, bandwidth 100 → 40 MB/s; applies at the next renewal');
    expect(describePendingChange(spec, { spec: lower, appliesAt: '2027-01-01T00:00:00.000Z' })).toMatch(/^bandwidth 100 → 40 MB\/s; applies (?!at the next)/);
  });
});
