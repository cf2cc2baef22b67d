import { describe, expect, it } from 'vitest';
import { chargebackTotals, costPerPeriod, invoiceCsv, usageTotals } from './usage.ts';

const row = (periodStart: string, group: string, meter: string, quantity: number, amountMinor: number) => ({ periodStart, group, meter, unit: meter, quantity, amountMinor });

describe('billing screen arithmetic', () => {
  it('cost per period sums every instance and meter of the period, in time order', () => {
    expect(costPerPeriod([
      row('2026-12-02T00:00:00.000Z', 'ins-a', 'broker-hour', 24, 288),
      row('2026-12-01T00:00:00.000Z', 'ins-a', 'broker-hour', 10, 120),
      row('2026-12-01T00:00:00.000Z', 'ins-b', 'disk-gib-hour', 2400, 30),
    ])).toEqual([{ x: Date.parse('2026-12-01T00:00:00.000Z'), y: 150 }, { x: Date.parse('2026-12-02T00:00:00.000Z'), y: 288 }]);
    expect(costPerPeriod([])).toEqual([]);
  });

  it('totals per instance and meter, without float dust', () => {
    expect(usageTotals([
      row('2026-12-01T00:00:00.000Z', 'ins-b', 'broker-hour', 0.1, 1),
      row('2026-12-02T00:00:00.000Z', 'ins-b', 'broker-hour', 0.2, 2),
      row('2026-12-01T00:00:00.000Z', 'ins-a', 'disk-gib-hour', 5, 7),
    ])).toEqual([
      { group: 'ins-a', meter: 'disk-gib-hour', unit: 'disk-gib-hour', quantity: 5, amountMinor: 7 },
      { group: 'ins-b', meter: 'broker-hour', unit: 'broker-hour', quantity: 0.3, amountMinor: 3 },
    ]);
  });

  it('chargeback totals add byte strings exactly (beyond 2^53) and sort biggest first', () => {
    expect(chargebackTotals([
      { instanceId: 'ins-a', key: 'orders', bytesIn: '9007199254740993', bytesOut: '1' },
      { instanceId: 'ins-a', key: 'orders', bytesIn: '1', bytesOut: '0' },
      { instanceId: 'ins-a', key: 'audit', bytesIn: '5', bytesOut: '5' },
    ])).toEqual([
      { instanceId: 'ins-a', key: 'orders', bytesIn: 9007199254740994n, bytesOut: 1n },
      { instanceId: 'ins-a', key: 'audit', bytesIn: 5n, bytesOut: 5n },
    ]);
  });

  it('invoice lines as CSV, quoting commas and quotes, defusing formula-like cells', () => {
    const line = { code: 'instance.broker-hours', instanceId: 'ins-a', meter: 'broker-hour', quantity: 2.5, unit: 'broker-hour', unitPriceMicros: 120000, amountMinor: 30 };
    expect(invoiceCsv([line, { ...line, code: '=cmd()', instanceId: null, unit: 'a,"b"' }], 'USD')).toBe(
      'code,instance,meter,quantity,unit,unit_price_micros,amount_minor,currency\r\n' +
      'instance.broker-hours,ins-a,broker-hour,2.5,broker-hour,120000,30,USD\r\n' +
      '\'=cmd(),,broker-hour,2.5,"a,""b""",120000,30,USD\r\n');
  });
});
