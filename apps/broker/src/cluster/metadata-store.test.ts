import { execFileSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEtcd, type TestEtcd } from '@tributary/testkit';
import { clusterPrefix, keys } from './cluster-view.ts';
import { EtcdMetadataStore } from './metadata-store.ts';

// A standalone broker must not load the etcd client stack (etcd3, grpc-js, protobufjs): it costs
// ~6 MiB of RSS per broker (bench/README.md, issue 21). A fresh process, so nothing another test
// loaded counts.
describe('the etcd client stack', () => {
  it('is not loaded by importing the broker, and is once an etcd metadata store is made', () => {
    const url = (file: string) => pathToFileURL(`${import.meta.dirname}/${file}`).href;
    const script = `
      import { createRequire } from 'node:module';
      const cache = createRequire(${JSON.stringify(url('metadata-store.test.ts'))}).cache;
      const etcdLoaded = () => Object.keys(cache).some((path) => path.includes('/node_modules/etcd3/'));
      await import(${JSON.stringify(url('../broker.ts'))});
      const afterImport = etcdLoaded();
      const { EtcdMetadataStore } = await import(${JSON.stringify(url('metadata-store.ts'))});
      const store = new EtcdMetadataStore(['http://127.0.0.1:1'], 'lazy-etcd', { log() {} });
      const afterStore = etcdLoaded();
      store.close();
      console.log(JSON.stringify({ afterImport, afterStore }));
      process.exit(0);`;
    const out = execFileSync(process.execPath, ['--input-type=module', '--eval', script], { encoding: 'utf8', timeout: 60_000 });
    expect(JSON.parse(out)).toEqual({ afterImport: false, afterStore: true });
  });
});

describe('EtcdMetadataStore.catchUp', () => {
  let etcd: TestEtcd;
  let store: EtcdMetadataStore;
  beforeAll(async () => {
    etcd = await startEtcd();
    store = new EtcdMetadataStore([etcd.endpoint], 'catch-up', { log() {} });
    // As EtcdCluster does: every applied change tells the waiters.
    await store.load(() => store.viewChanged());
  }, 60_000);
  afterAll(async () => {
    await store?.stopWatching();
    store?.close();
    await etcd?.stop();
  });

  /**
   * Another broker's write, made by a child process (curl on etcd's JSON gateway) while this one's
   * event loop waits: its watch event is at best unread in a socket when this returns.
   */
  const putElsewhere = (key: string, value: string) => {
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    execFileSync('curl', ['-sf', '-X', 'POST', `${etcd.endpoint}/v3/kv/put`, '-d', JSON.stringify({ key: b64(clusterPrefix('catch-up') + key), value: b64(value) })], { timeout: 10_000 });
  };
  const etcdRevision = async () => BigInt((await store.ns.get('nothing').exec()).header.revision);

  it('once it resolves, the view holds a change made elsewhere whose watch event was not read yet', async () => {
    for (let i = 0; i < 5; i++) {
      putElsewhere(`acls/binding-${i}`, `v${i}`);
      expect(store.view.raw.get(`acls/binding-${i}`), 'read before any event could be').toBeUndefined();
      await store.catchUp(keys.catchUp(1));
      expect(store.view.raw.get(`acls/binding-${i}`)).toBe(`v${i}`);
    }
  });

  it('a burst of callers shares at most two marker writes', async () => {
    const before = await etcdRevision();
    await Promise.all(Array.from({ length: 20 }, () => store.catchUp(keys.catchUp(1))));
    // The first caller's write, then one write shared by the 19 that arrived while it ran (reads add no revision).
    expect((await etcdRevision()) - before).toBeLessThanOrEqual(2n);
    expect((await etcdRevision()) - before).toBeGreaterThanOrEqual(1n);
  });

  it('answers from the view as it is, within its bound, while etcd does not answer', async () => {
    etcd.pause();
    try {
      const started = Date.now();
      await store.catchUp(keys.catchUp(1), 300);
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      etcd.resume();
    }
    await store.catchUp(keys.catchUp(1));
  });
});
