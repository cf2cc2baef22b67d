import { describe, expect, it } from 'vitest';
import { ago, formatBytes, formatMicros, formatQuantity, formatRate, totalLag } from './format.ts';
import { configsFromRows, defaultReplicationFactor } from './topic-configs.ts';

describe('formatting', () => {
  it('bytes in binary units, -1 as not reported', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1536)).toBe('1.50 KiB');
    expect(formatBytes(5 * 1024 ** 3)).toBe('5.00 GiB');
    expect(formatBytes(-1)).toBe('—');
  });
  it('billed quantities: two decimals at most, digits grouped', () => {
    expect(formatQuantity(24049.277778, 'en-US')).toBe('24,049.28');
    expect(formatQuantity(30.246111, 'en-US')).toBe('30.25');
    expect(formatQuantity(3, 'en-US')).toBe('3');
  });
  it('relative times', () => {
    const now = Date.parse('2026-12-01T12:00:00Z');
    expect(ago('2026-12-01T11:59:30Z', now)).toBe('30s ago');
    expect(ago('2026-12-01T10:00:00Z', now)).toBe('2h ago');
    expect(ago('2026-11-28T12:00:00Z', now)).toBe('3d ago');
  });
  it('total lag', () => {
    expect(totalLag([{ lag: 3 }, { lag: null }, { lag: 4 }])).toBe(7);
  });
  it('topic config rows: blanks dropped, values trimmed, last duplicate wins', () => {
    expect(configsFromRows([{ key: 'retention.ms', value: ' 1000 ' }, { key: '', value: 'x' }, { key: 'retention.ms', value: '2000' }])).toEqual({ 'retention.ms': '2000' });
  });
  it('suggested replication factor stays within the API rules', () => {
    expect([1, 2, 3, 5].map(defaultReplicationFactor)).toEqual([1, 2, 3, 3]);
  });
});

describe('money', () => {
  it('minor units by the currency\'s own digits', async () => {
    const { formatMoney } = await import('./format.ts');
    expect(formatMoney(12345, 'USD', 'en-US')).toBe('$123.45');
    expect(formatMoney(500, 'JPY', 'en-US')).toBe('¥500');
    expect(formatMoney(7, 'EUR', 'en-US')).toBe('€0.07');
  });
  it('unit prices in micros keep fractions of a cent', () => {
    expect(formatMicros(1500, 'USD', 'en-US')).toBe('$0.0015');
    expect(formatMicros(120000, 'USD', 'en-US')).toBe('$0.12');
    expect(formatMicros(0, 'USD', 'en-US')).toBe('$0.00');
  });

  it('message rates: unknown is a dash, small rates keep two decimals, large ones are whole', () => {
    expect(formatRate(null)).toBe('—');
    expect(formatRate(0)).toBe('0');
    expect(formatRate(0.5)).toBe('0.50');
    expect(formatRate(12345.6)).toBe('12,346');
  });
});
