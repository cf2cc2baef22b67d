import { execFileSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

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
