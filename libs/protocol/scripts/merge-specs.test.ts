import { describe, expect, it } from 'vitest';
import { SPEC_DIR } from './generate.ts';
import { checkMerge, MergeError, mergeSpecs, wireShape } from './merge-specs.ts';
import { loadSpecs, type MessageSpec } from './spec-model.ts';

/** A Produce-like pair: Kafka 4 dropped v0–2, renamed nothing, added TopicId at v13 and a v1-only field went away. */
const older: MessageSpec = {
  apiKey: 99,
  type: 'request',
  name: 'DemoRequest',
  validVersions: '0-11',
  flexibleVersions: '9+',
  fields: [
    { name: 'Acks', type: 'int16', versions: '0+' },
    { name: 'Stamp', type: 'int64', versions: '1', default: '-1' },
    {
      name: 'Topics',
      type: '[]Topic',
      versions: '0+',
      fields: [
        { name: 'Name', type: 'string', versions: '0+' },
        { name: 'Legacy', type: 'int32', versions: '0-2' },
      ],
    },
  ],
};
const newer: MessageSpec = {
  ...older,
  validVersions: '3-13',
  fields: [
    { name: 'Acks', type: 'int16', versions: '0+', about: 'reworded' },
    {
      name: 'Topics',
      type: '[]Topic',
      versions: '0+',
      fields: [
        { name: 'Name', type: 'string', versions: '0-12' },
        { name: 'TopicId', type: 'uuid', versions: '13+' },
      ],
    },
  ],
};

describe('merging Kafka 4.4 specs with the versions they dropped', () => {
  it('keeps every older version exactly as the older spec and every newer one as the newer spec', () => {
    const merged = mergeSpecs(older, newer);
    expect(merged.validVersions).toBe('0-13');
    expect(checkMerge(older, newer, merged)).toEqual([]);
    expect(wireShape(merged, 1)).toBe(wireShape(older, 1));
    expect(wireShape(merged, 1)).toContain('Stamp:int64');
    expect(wireShape(merged, 2)).toContain('Legacy:int32');
    expect(wireShape(merged, 13)).toBe(wireShape(newer, 13));
    expect(wireShape(merged, 13)).toContain('TopicId:uuid');
    expect(wireShape(merged, 13)).not.toContain('Name:string');
    // The restored field sits where the older spec had it (after Acks), so v1 reads in the same order.
    expect(merged.fields.map((f) => f.name)).toEqual(['Acks', 'Stamp', 'Topics']);
  });

  it('takes the newer spec as it is when it dropped nothing, and keeps the older one for an API it removed', () => {
    const same = { ...newer, validVersions: '0-13' };
    expect(mergeSpecs(older, same)).toBe(same);
    const removed = { ...newer, validVersions: 'none' };
    expect(mergeSpecs(older, removed)).toBe(older);
  });

  it('refuses a merge the spec format cannot express and says which field', () => {
    // Present at v0–1 in the older spec, from v5 only in the newer: v3–4 would need a hole.
    const gap: MessageSpec = { ...newer, fields: [...newer.fields, { name: 'Stamp', type: 'int64', versions: '5+' }] };
    expect(() => mergeSpecs({ ...older, fields: [...older.fields.slice(0, 1), { name: 'Stamp', type: 'int64', versions: '0-1' }, ...older.fields.slice(2)] }, gap)).toThrow(MergeError);
    const retyped: MessageSpec = { ...newer, fields: [{ name: 'Acks', type: 'int32', versions: '0+' }, ...newer.fields.slice(1)] };
    expect(() => mergeSpecs(older, retyped)).toThrow(/Acks changed type int16 → int32/);
  });

  it('the in-repo specs keep what Tributary still answers and gain what Kafka 4.4 clients send', () => {
    const specs = new Map(loadSpecs(SPEC_DIR).map((s) => [s.name, s]));
    const at = (name: string) => specs.get(name) as MessageSpec;
    expect(at('ProduceRequest').validVersions).toBe('0-13');
    expect(at('FetchRequest').validVersions).toBe('0-18');
    expect(wireShape(at('OffsetCommitRequest'), 1)).toContain('CommitTimestamp:int64');
    expect(at('EndTxnRequest').validVersions).toBe('0-5');
    expect(at('TxnOffsetCommitRequest').validVersions).toBe('0-6');
    expect(at('InitProducerIdRequest').validVersions).toBe('0-6');
    expect(at('WriteTxnMarkersRequest').validVersions).toBe('0-2');
    expect(at('ListTransactionsRequest').validVersions).toBe('0-2');
    expect(at('AlterPartitionReassignmentsRequest').validVersions).toBe('0-1');
    expect(at('RequestHeader').validVersions).toBe('0-2');
  });
});
