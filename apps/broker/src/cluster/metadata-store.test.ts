import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEtcd, type TestEtcd } from '@tributary/testkit';
import { BrokerRegistration } from './broker-registration.ts';
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

// One etcd for the file's store and registration tests (each under a cluster id of its own).
let etcd: TestEtcd;
beforeAll(async () => {
  etcd = await startEtcd();
}, 60_000);
afterAll(async () => {
  await etcd?.stop();
});

describe('EtcdMetadataStore.catchUp', () => {
  let store: EtcdMetadataStore;
  beforeAll(async () => {
    store = new EtcdMetadataStore([etcd.endpoint], 'catch-up', { log() {} });
    // As EtcdCluster does: every applied change tells the waiters.
    await store.load(() => store.viewChanged());
  }, 60_000);
  afterAll(async () => {
    await store?.stopWatching();
    store?.close();
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

const quiet = { log() {} };

/** A broker's registration on its own etcd client, as a broker process has (closing the client is the process dying). */
function registration(clusterId: string, nodeId: number, uncleanShutdown: boolean, sessionTimeoutMs = 2000) {
  const store = new EtcdMetadataStore([etcd.endpoint], clusterId, quiet);
  const reg = new BrokerRegistration({
    ns: store.ns,
    nodeId,
    rack: null,
    advertised: [],
    sessionTimeoutMs,
    logger: quiet,
    probePeers: false,
    interBrokerListener: 'PLAINTEXT',
    uncleanShutdown,
    onRegistered: async () => {},
    onLeaseLost: () => {},
  });
  return { store, reg };
}

// BrokerRegistration's tests live here to share this file's etcd and its client stack's load time (a file of their own cost CI ~7 s).
describe('BrokerRegistration on a real etcd', () => {
  it('a broker killed -9 and restarted before its lease expired registers only once the old registration is gone, so the cluster sees it die and come back from an unclean shutdown (KIP-966)', async () => {
    const clusterId = 'fast-restart';
    // The cluster's view, as every broker keeps it: each registration key event in order.
    const observer = new EtcdMetadataStore([etcd.endpoint], clusterId, quiet);
    const events: string[] = [];
    await observer.load((key, kv, deleted) => {
      if (key === keys.broker(3)) events.push(deleted ? 'deleted' : (JSON.parse(kv.value.toString()) as { uncleanShutdown?: boolean }).uncleanShutdown ? 'registered (unclean shutdown)' : 'registered');
      observer.viewChanged();
    });
    try {
      // The first run: a process of its own, registered, then killed -9 (nothing revokes its lease, which runs its 2 s out).
      const url = (file: string) => JSON.stringify(pathToFileURL(`${import.meta.dirname}/${file}`).href);
      const first = spawn(process.execPath, ['--input-type=module', '--eval', `
        const { EtcdMetadataStore } = await import(${url('metadata-store.ts')});
        const { BrokerRegistration } = await import(${url('broker-registration.ts')});
        const quiet = { log() {} };
        const store = new EtcdMetadataStore([${JSON.stringify(etcd.endpoint)}], ${JSON.stringify(clusterId)}, quiet);
        const reg = new BrokerRegistration({ ns: store.ns, nodeId: 3, rack: null, advertised: [], sessionTimeoutMs: 2000, logger: quiet, probePeers: false, interBrokerListener: 'PLAINTEXT', uncleanShutdown: false, onRegistered: async () => {}, onLeaseLost: () => {} });
        await reg.register();
        console.log('registered');`], { stdio: ['ignore', 'pipe', 'inherit'] });
      const exited = once(first, 'exit');
      await observer.waitForView(() => observer.view.brokers.has(3), 20_000);
      // A partition state written while the first run was registered, naming it in its ISR.
      await observer.ns.put(keys.partition('t', 0)).value(JSON.stringify({ leader: 1, leaderEpoch: 0, isr: [1, 2, 3] }));
      await observer.waitForView(() => observer.view.partitions.has('t/0'));
      first.kill('SIGKILL');
      await exited;

      const second = registration(clusterId, 3, true);
      try {
        await second.reg.register();
        await observer.waitForView(() => events.length === 3);
        // Before 2026-12-03 the restarted broker overwrote the live key: ['registered', 'registered (unclean shutdown)'],
        // the same create revision, so it never left the ISR and was not seen as back from an unclean shutdown.
        expect(events).toEqual(['registered', 'deleted', 'registered (unclean shutdown)']);
        expect(observer.view.uncleanlyReturned(observer.view.partitions.get('t/0')!)).toEqual([3]);
        const kv = (await observer.ns.get(keys.broker(3)).exec()).kvs[0]!;
        expect(kv.lease).toBe(second.reg.leaseId);
      } finally {
        await second.reg.stop();
        second.store.close();
      }
    } finally {
      await observer.stopWatching();
      observer.close();
    }
  }, 30_000);

  it('registering again after its lease was lost, a run takes its own earlier key back at once', async () => {
    const clusterId = 'lease-lost';
    // A session far longer than the test's own limit: waiting for the old lease to expire would fail it.
    const { store, reg } = registration(clusterId, 5, false, 600_000);
    try {
      await reg.register();
      const firstLease = reg.leaseId;
      // What the 'lost' handler does: register again under a new lease while the old key is still there.
      await reg.register();
      expect(reg.leaseId).not.toBe(firstLease);
      expect((await store.ns.get(keys.broker(5)).exec()).kvs[0]!.lease).toBe(reg.leaseId);
    } finally {
      await reg.stop();
      store.close();
    }
  }, 30_000);
});
