import { describe, expect, it } from 'vitest';
import { limitSettings } from './instance-limits.ts';

describe('limitSettings', () => {
  it('turns what the instance was sold into the broker settings that enforce it', () => {
    expect(limitSettings({ topicLimit: 50, partitionLimit: 100, consumerGroupLimit: 20, diskGiB: 100, bandwidthMBps: 40 })).toEqual({
      'tributary.instance.max.topics': '50',
      'tributary.instance.max.partitions': '100',
      'tributary.instance.max.consumer.groups': '20',
      'tributary.instance.disk.bytes': String(100 * 1024 ** 3),
      'tributary.instance.produce.byte.rate': '40000000',
      'tributary.instance.fetch.byte.rate': '40000000',
    });
  });
});
