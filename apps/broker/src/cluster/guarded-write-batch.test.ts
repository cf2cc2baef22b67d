import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEtcd, type TestEtcd } from '@tributary/testkit';
import { GuardedWriteBatch } from './guarded-write-batch.ts';
import { EtcdMetadataStore } from './metadata-store.ts';

let etcd: TestEtcd;
let store: EtcdMetadataStore;
beforeAll(async () => {
  etcd = await startEtcd();
  store = new EtcdMetadataStore([etcd.endpoint], 'guarded-write-batch', { log() {} });
}, 60_000);
afterAll(async () => {
  store?.close();
  await etcd?.stop();
});

/** Puts `n` keys and returns each one's mod revision. */
async function seed(prefix: string, n: number): Promise<string[]> {
  const revisions: string[] = [];
  for (let i = 0; i < n; i++) revisions.push((await store.ns.put(`${prefix}/${i}`).value('0').exec()).header.revision);
  return revisions;
}

describe('GuardedWriteBatch', () => {
  it('sends the writes of one turn as transactions of up to 100 keys: one revision per transaction', async () => {
    const revisions = await seed('many', 150);
    const batch = new GuardedWriteBatch(store.ns);
    const written = await Promise.all(revisions.map((r, i) => batch.write(`many/${i}`, r, '1')));
    expect(written.every((r) => r !== null)).toBe(true);
    // 150 writes, 2 transactions (100 + 50): every write of a transaction shares its revision.
    expect(new Set(written).size).toBe(2);
    expect(new Set(written.slice(0, 100)).size).toBe(1);
    const values = await store.ns.getAll().prefix('many/').strings();
    expect(Object.values(values).every((v) => v === '1')).toBe(true);
  });

  it('a write whose key moved loses alone: the others of its transaction are written one by one', async () => {
    const revisions = await seed('moved', 5);
    await store.ns.put('moved/2').value('someone else').exec();
    const batch = new GuardedWriteBatch(store.ns);
    const written = await Promise.all(revisions.map((r, i) => batch.write(`moved/${i}`, r, 'mine')));
    expect(written[2]).toBeNull();
    expect(written.filter((r) => r !== null)).toHaveLength(4);
    const values = await store.ns.getAll().prefix('moved/').strings();
    expect(values).toEqual({ 'moved/0': 'mine', 'moved/1': 'mine', 'moved/2': 'someone else', 'moved/3': 'mine', 'moved/4': 'mine' });
  });

  it('two writes of one key in a turn go to different transactions: the second, planned from the same revision, loses', async () => {
    const [revision] = await seed('twice', 1);
    const batch = new GuardedWriteBatch(store.ns);
    const [first, second] = await Promise.all([batch.write('twice/0', revision!, 'a'), batch.write('twice/0', revision!, 'b')]);
    expect([first, second].filter((r) => r !== null)).toHaveLength(1);
    expect(await store.ns.get('twice/0').string()).toBe(first !== null ? 'a' : 'b');
  });
});
