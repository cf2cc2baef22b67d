import { describe, expect, it } from 'vitest';
import { DEFAULT_SIZE, sizeFromParams, sizeToParams, toSpec } from './spec-form.ts';

describe('instance size form', () => {
  it('sends period and auto-renew for prepaid only, as the API requires', () => {
    expect(toSpec(DEFAULT_SIZE).billing).toEqual({ mode: 'postpaid' });
    expect(toSpec({ ...DEFAULT_SIZE, mode: 'prepaid', periodMonths: 3, autoRenew: true }).billing).toEqual({ mode: 'prepaid', periodMonths: 3, autoRenew: true });
    expect(toSpec({ ...DEFAULT_SIZE, brokers: 3 })).toMatchObject({ brokers: 3, zone: 'zone-a', brokerConfig: {} });
  });

  it('round-trips through a URL, writing only what differs from the defaults', () => {
    const f = { ...DEFAULT_SIZE, zone: 'zone-b', brokers: 3, diskGiB: 500, mode: 'prepaid' as const, periodMonths: 6, autoRenew: true };
    const p = sizeToParams(f);
    expect(p.toString()).toBe('zone=zone-b&brokers=3&diskGiB=500&periodMonths=6&mode=prepaid&autoRenew=true');
    expect(sizeFromParams(new URLSearchParams(p.toString()))).toEqual(f);
    expect(sizeToParams(DEFAULT_SIZE).toString()).toBe('');
    expect(sizeFromParams(new URLSearchParams())).toEqual(DEFAULT_SIZE);
  });

  it('keeps the default for what cannot be a value, and passes numbers on for the API to judge', () => {
    const f = sizeFromParams(new URLSearchParams('zone=mars&brokers=abc&diskGiB=150&mode=free&partitionLimit='));
    expect(f.zone).toBe('zone-a');
    expect(f.brokers).toBe(1);
    expect(f.mode).toBe('postpaid');
    expect(f.partitionLimit).toBe(DEFAULT_SIZE.partitionLimit);
    // 150 is not a step of 100: the API refuses it beside the disk field, so it is kept as asked.
    expect(f.diskGiB).toBe(150);
  });
});
