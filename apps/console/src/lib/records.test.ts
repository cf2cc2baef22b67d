import { describe, expect, it } from 'vitest';
import { isPayloadError, keepNewest, preview, renderedText, searchPercent, toPayload } from './records.ts';

describe('record rendering in the message browser', () => {
  it('shows text, base64 and JSON, pretty or on one line, and marks truncated values', () => {
    expect(renderedText({ encoding: 'json', data: { a: [1, 2] }, size: 11, truncated: false }, true)).toBe('{\n  "a": [\n    1,\n    2\n  ]\n}');
    expect(preview({ encoding: 'json', data: { a: [1, 2] }, size: 11, truncated: false })).toBe('{"a":[1,2]}');
    expect(preview({ encoding: 'text', data: 'one\ntwo', size: 7, truncated: false })).toBe('one two');
    expect(preview({ encoding: 'base64', data: '/w==', size: 1, truncated: false })).toBe('/w==');
    expect(preview({ encoding: 'text', data: 'abc', size: 5000, truncated: true })).toBe('abc…');
    expect(preview({ encoding: 'text', data: 'x'.repeat(10), size: 10, truncated: false }, 4)).toBe('xxxx…');
    expect(preview(null)).toBe('null');
    expect(renderedText({ encoding: 'json', data: null, size: 4, truncated: false })).toBe('null');
  });
});

describe('payloads the browser sends', () => {
  it('text as typed, JSON parsed, base64 checked; empty means null only where allowed', () => {
    expect(toPayload('hello', 'text', true)).toEqual({ encoding: 'text', data: 'hello' });
    expect(toPayload('', 'text', false)).toEqual({ encoding: 'text', data: '' });
    expect(toPayload('', 'json', true)).toBeNull();
    expect(toPayload('{"id":1}', 'json', false)).toEqual({ encoding: 'json', data: { id: 1 } });
    const bad = toPayload('{id:1}', 'json', false);
    expect(isPayloadError(bad) && bad.error).toMatch(/^not JSON/);
    expect(toPayload('aGk=\n', 'base64', false)).toEqual({ encoding: 'base64', data: 'aGk=' });
    expect(isPayloadError(toPayload('aGk', 'base64', false))).toBe(true);
    expect(isPayloadError(toPayload('a$k=', 'base64', false))).toBe(true);
  });
});

describe('search progress and the tail buffer', () => {
  it('percent is scanned over scanned plus remaining, across continued requests', () => {
    const partitions = [{ partition: 0, nextOffset: 30, endOffset: 100, remaining: 70 }, { partition: 1, nextOffset: 100, endOffset: 100, remaining: 0 }];
    expect(searchPercent({ scannedRecords: 130, matched: 0, complete: false, partitions })).toBe(65);
    expect(searchPercent({ scannedRecords: 30, matched: 0, complete: false, partitions }, 100)).toBe(65);
    expect(searchPercent({ scannedRecords: 0, matched: 0, complete: true, partitions: [] })).toBe(100);
    expect(searchPercent({ scannedRecords: 0, matched: 0, complete: false, partitions: [] })).toBe(100);
  });

  it('keeps the newest records first and at most max of them', () => {
    expect(keepNewest([3, 2, 1], [4, 5], 4)).toEqual([5, 4, 3, 2]);
    expect(keepNewest([], [1], 10)).toEqual([1]);
  });
});
