import { describe, expect, it } from 'vitest';
import { configDiff } from './config-diff.ts';

describe('topic settings diff', () => {
  it('names added, changed and unset keys in key order, and leaves equal ones out', () => {
    expect(configDiff(
      { 'retention.ms': '86400000', 'cleanup.policy': 'delete', 'segment.ms': '600000' },
      { 'retention.ms': '3600000', 'segment.ms': '600000', 'max.message.bytes': '2048' },
    )).toEqual([
      { key: 'cleanup.policy', kind: 'unset', before: 'delete' },
      { key: 'max.message.bytes', kind: 'added', after: '2048' },
      { key: 'retention.ms', kind: 'changed', before: '86400000', after: '3600000' },
    ]);
    expect(configDiff({ a: '1' }, { a: '1' })).toEqual([]);
    expect(configDiff({}, {})).toEqual([]);
  });
});
