import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './services.ts';

/** A throwaway single-node etcd (Debian's `etcd-server`, 3.4) on free loopback ports. */
export interface TestEtcd {
  /** Client URL, e.g. `http://127.0.0.1:23790` (what `--etcd-endpoints` takes). */
  endpoint: string;
  /** SIGSTOP/SIGCONT the server, to test what clients do while etcd does not answer. */
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

const ETCD = '/usr/bin/etcd';

/**
 * `heartbeatMs`/`electionMs` tune etcd's raft timers; etcd's shortest lease is 1.5 election
 * timeouts, so faster timers allow the 1 s broker leases of a tuned failover.
 */
export async function startEtcd(options: { timeoutMs?: number; heartbeatMs?: number; electionMs?: number } = {}): Promise<TestEtcd> {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-etcd-'));
  const clientPort = await freePort();
  const peerPort = await freePort();
  const client = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const proc = spawn(
    ETCD,
    [
      '--name', 'test', '--data-dir', join(dir, 'data'),
      '--listen-client-urls', client, '--advertise-client-urls', client,
      '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer,
      '--initial-cluster', `test=${peer}`, '--initial-cluster-state', 'new',
      // Tests need no durability: no fsync per write keeps a loaded machine from stalling elections.
      '--unsafe-no-fsync', '--log-level', 'error',
      ...(options.heartbeatMs ? ['--heartbeat-interval', String(options.heartbeatMs)] : []),
      ...(options.electionMs ? ['--election-timeout', String(options.electionMs)] : []),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  proc.stderr!.on('data', (d) => (stderr += d));
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`etcd exited with ${proc.exitCode}:\n${stderr}`);
    try {
      const res = await fetch(`${client}/health`, { signal: AbortSignal.timeout(1000) });
      if (res.ok && ((await res.json()) as { health?: string }).health === 'true') break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`etcd did not become healthy within ${options.timeoutMs ?? 20_000} ms:\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    endpoint: client,
    pause: () => proc.kill('SIGSTOP'),
    resume: () => proc.kill('SIGCONT'),
    async stop() {
      if (proc.exitCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGCONT');
        proc.kill('SIGTERM');
        const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
