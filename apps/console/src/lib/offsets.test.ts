import { describe, expect, it } from 'vitest';
import { generatePassword, groupTopics, previewReset } from './offsets.ts';

const committed = [
  { topic: 'orders', partition: 0, committed: 5 },
  { topic: 'orders', partition: 1, committed: 9 },
  { topic: 'other', partition: 0, committed: 1 },
];
const parts = [
  { partition: 1, startOffset: 2, endOffset: 10 },
  { partition: 0, startOffset: 0, endOffset: 8 },
];

describe('offset reset preview', () => {
  it('earliest and latest take each partition start or end, with the lag that follows', () => {
    expect(previewReset('orders', committed, parts, { kind: 'earliest' })).toEqual([
      { partition: 0, committed: 5, next: 0, lagAfter: 8, outOfRange: false },
      { partition: 1, committed: 9, next: 2, lagAfter: 8, outOfRange: false },
    ]);
    expect(previewReset('orders', committed, parts, { kind: 'latest' }).map((r) => [r.next, r.lagAfter])).toEqual([[8, 0], [10, 0]]);
  });
  it('exact offsets keep unnamed partitions where they are and flag offsets outside the log', () => {
    const rows = previewReset('orders', committed, parts, { kind: 'exact', offsets: { '1': 1 } });
    expect(rows).toEqual([
      { partition: 0, committed: 5, next: 5, lagAfter: 3, outOfRange: false },
      { partition: 1, committed: 9, next: 1, lagAfter: 9, outOfRange: true },
    ]);
  });
  it('a timestamp is left to the brokers; a partition without a commit shows none', () => {
    expect(previewReset('orders', [], parts, { kind: 'timestamp', timestamp: 1 })).toEqual([
      { partition: 0, committed: null, next: null, lagAfter: null, outOfRange: false },
      { partition: 1, committed: null, next: null, lagAfter: null, outOfRange: false },
    ]);
  });
  it('lists the topics of a group once each', () => {
    expect(groupTopics(committed)).toEqual(['orders', 'other']);
  });
});

describe('generated passwords', () => {
  it('are 24 letters and digits, different each time', () => {
    const a = generatePassword();
    expect(a).toMatch(/^[A-Za-z0-9]{24}$/);
    expect(generatePassword()).not.toBe(a);
  });
  it('reject the bytes that would bias the alphabet', () => {
    const bytes = [255, 250, 248, 0, 61, 62];
    let i = 0;
    const pw = generatePassword((n) => Uint8Array.from({ length: n }, () => bytes[i++ % bytes.length]!));
    expect(pw.startsWith('A9AA9A')).toBe(true);
  });
});
