import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BrokerClusterSpec, ClusterObservation } from '../runtime.ts';
import { LocalRuntime } from './local-runtime.ts';

const fixture = join(import.meta.dirname, 'process-fixture.test-helper.ts');
let rootDir: string;
let runtime: LocalRuntime;
const spec = (brokers: number, configHash = 'h1'): BrokerClusterSpec => ({
  instanceId: 'ins-test',
  brokers,
  brokerConfig: { 'log.retention.ms': '60000' },
  configHash,
});

async function waitReady(r: LocalRuntime, expected: number): Promise<ClusterObservation> {
  // Bounded at 15 s: starting Node processes is slow on a loaded 2-core machine.
  for (let i = 0; i < 300; i++) {
    const o = await r.observe('ins-test');
    if (o && o.brokers.filter((b) => b.ready).length === expected) return o;
    await sleep(50);
  }
  throw new Error('brokers did not become ready within 15 s');
}

beforeEach(async () => {
  rootDir = await mkdtemp(join(tmpdir(), 'tributary-local-runtime-'));
  runtime = new LocalRuntime({ rootDir, brokerCommand: [process.execPath, fixture], stopGraceMs: 2_000 });
});

afterEach(async () => {
  await runtime.deleteCluster('ins-test');
  await rm(rootDir, { recursive: true, force: true });
});

describe('LocalRuntime', () => {
  it('starts one process per broker on distinct loopback ports with the broker flags', async () => {
    await runtime.ensureBrokers(spec(3));
    const o = await waitReady(runtime, 3);
    expect(new Set(o.internalBootstrapServers).size).toBe(3);
    expect(o.internalBootstrapServers.every((a) => a.startsWith('127.0.0.1:'))).toBe(true);
    const argv = JSON.parse(await readFile(join(runtime.instanceDir('ins-test'), 'broker-2', 'data', 'argv.json'), 'utf8')) as string[];
    expect(argv).toEqual(expect.arrayContaining(['--node-id', '2', '--set', 'log.retention.ms=60000']));
  });

  it('zones: broker n runs in zone n-1 mod count with it as --rack; without zones no --rack', async () => {
    const zoned = new LocalRuntime({ rootDir, brokerCommand: [process.execPath, fixture], stopGraceMs: 2_000, zones: ['zone-a', 'zone-b'] });
    await zoned.ensureBrokers(spec(3));
    await waitReady(zoned, 3);
    const racks: (string | undefined)[] = [];
    for (const id of [1, 2, 3]) {
      const argv = JSON.parse(await readFile(join(zoned.instanceDir('ins-test'), `broker-${id}`, 'data', 'argv.json'), 'utf8')) as string[];
      racks.push(argv.includes('--rack') ? argv[argv.indexOf('--rack') + 1] : undefined);
    }
    expect(racks).toEqual(['zone-a', 'zone-b', 'zone-a']);
    await zoned.deleteCluster('ins-test');
    await runtime.ensureBrokers(spec(1));
    await waitReady(runtime, 1);
    expect(JSON.parse(await readFile(join(runtime.instanceDir('ins-test'), 'broker-1', 'data', 'argv.json'), 'utf8'))).not.toContain('--rack');
  });

  it('restarts a crashed broker on the same port and counts the restart', async () => {
    const before = await runtime.ensureBrokers(spec(2));
    await waitReady(runtime, 2);
    const state = JSON.parse(await readFile(join(runtime.instanceDir('ins-test'), 'cluster.json'), 'utf8'));
    process.kill(state.brokers[0].pid, 'SIGKILL');
    await sleep(100);
    expect((await runtime.observe('ins-test'))!.brokers[0]!.running).toBe(false);
    await runtime.ensureBrokers(spec(2));
    const after = await waitReady(runtime, 2);
    expect(after.internalBootstrapServers).toEqual(before.internalBootstrapServers);
    expect(after.brokers[0]!.restarts).toBe(1);
  });

  it('re-adopts running brokers after an operator restart instead of starting new ones', async () => {
    await runtime.ensureBrokers(spec(1));
    await waitReady(runtime, 1);
    const pidBefore = JSON.parse(await readFile(join(runtime.instanceDir('ins-test'), 'cluster.json'), 'utf8')).brokers[0].pid;
    const successor = new LocalRuntime({ rootDir, brokerCommand: [process.execPath, fixture], stopGraceMs: 2_000 });
    await successor.ensureBrokers(spec(1));
    const pidAfter = JSON.parse(await readFile(join(runtime.instanceDir('ins-test'), 'cluster.json'), 'utf8')).brokers[0].pid;
    expect(pidAfter).toBe(pidBefore);
    expect(await successor.knownInstances()).toEqual(['ins-test']);
  });

  it('scales down by stopping the highest node ids, and restarts one broker with a new config', async () => {
    await runtime.ensureBrokers(spec(3));
    await waitReady(runtime, 3);
    const down = await runtime.ensureBrokers(spec(2));
    expect(down.brokers.map((b) => b.nodeId)).toEqual([1, 2]);
    await runtime.restartBroker(spec(2, 'h2'), 1);
    const o = await waitReady(runtime, 2);
    expect(o.brokers.map((b) => b.configHash)).toEqual(['h2', 'h1']);
  });

  it('stops brokers but keeps their data and ports, and starts them again on the next ensure', async () => {
    const before = await runtime.ensureBrokers(spec(1));
    await waitReady(runtime, 1);
    await runtime.stopCluster('ins-test');
    expect((await runtime.observe('ins-test'))!.brokers[0]!.running).toBe(false);
    expect((await stat(join(runtime.instanceDir('ins-test'), 'broker-1', 'data'))).isDirectory()).toBe(true);
    await runtime.ensureBrokers(spec(1));
    const after = await waitReady(runtime, 1);
    expect(after.internalBootstrapServers).toEqual(before.internalBootstrapServers);
    expect(after.brokers[0]!.restarts).toBe(0);
  });

  it('deletes processes and data', async () => {
    await runtime.ensureBrokers(spec(1));
    const o = await waitReady(runtime, 1);
    await runtime.deleteCluster('ins-test');
    await expect(stat(runtime.instanceDir('ins-test'))).rejects.toThrow(/ENOENT/);
    expect(await runtime.observe('ins-test')).toBeNull();
    const [host, port] = o.internalBootstrapServers[0]!.split(':');
    const { connect } = await import('node:net');
    const refused = await new Promise((resolve) => connect({ host: host!, port: Number(port) }).once('error', () => resolve(true)).once('connect', () => resolve(false)));
    expect(refused).toBe(true);
  });
});
