import { afterAll, describe, expect, it } from 'vitest';
import { Etcd3 } from 'etcd3';
import { startEtcd, type TestEtcd } from './etcd.ts';

describe('startEtcd', () => {
  let etcd: TestEtcd | undefined;
  afterAll(async () => {
    await etcd?.stop();
  });

  it('starts an etcd that stores keys and grants leases, and stop() shuts it down', async () => {
    etcd = await startEtcd();
    const client = new Etcd3({ hosts: etcd.endpoint });
    await client.put('tributary/test').value('ok');
    expect(await client.get('tributary/test').string()).toBe('ok');
    const lease = client.lease(5);
    await lease.put('tributary/leased').value('1');
    expect(await client.get('tributary/leased').string()).toBe('1');
    await lease.revoke();
    expect(await client.get('tributary/leased').string()).toBeNull();
    client.close();
    await etcd.stop();
    await expect(fetch(`${etcd.endpoint}/health`, { signal: AbortSignal.timeout(1000) })).rejects.toThrow();
    etcd = undefined;
  });
});
