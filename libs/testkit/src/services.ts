import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Test-only: a throwaway PostgreSQL cluster (Debian's PostgreSQL 15) and Redis server on free
 * loopback ports, with throwaway data directories. Both stop, and the directory goes, when `stop()` runs.
 */
const PG_BIN = '/usr/lib/postgresql/15/bin';

/**
 * Ports this process has handed out. A port is free again until its server binds it, so a caller
 * asking for several in a row (a three-node Kafka cluster wants six) could get the same one twice:
 * CI once saw two Kafka nodes handed 33339.
 */
const handedOut = new Set<number>();

/**
 * Test servers' ports come from 10000–19999: below the kernel's ephemeral range (32768 and up by
 * default), where every outgoing connection takes its local port, so no client's connection can
 * take a port between its choice and a JVM's bind seconds later (a fresh-clone CI run's Kafka node
 * exited on "Address already in use" so); and below 20000, where the operator's local runtime
 * draws broker ports. Each vitest worker (VITEST_POOL_ID) draws from a slice of its own, so two
 * test files running side by side never pick the same port.
 */
const TEST_PORTS = { lowest: 10_000, slices: 8, sliceSize: 1_250 };

function portSlice(): { first: number; size: number } {
  const pool = Number(process.env['VITEST_POOL_ID']);
  if (!Number.isInteger(pool) || pool < 1) return { first: TEST_PORTS.lowest, size: TEST_PORTS.slices * TEST_PORTS.sliceSize };
  return { first: TEST_PORTS.lowest + ((pool - 1) % TEST_PORTS.slices) * TEST_PORTS.sliceSize, size: TEST_PORTS.sliceSize };
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** A loopback port nothing listens on now, from this worker's slice, that this process has not handed out before. */
export async function freePort(): Promise<number> {
  const { first, size } = portSlice();
  const start = Math.floor(Math.random() * size);
  for (let i = 0; i < size; i++) {
    const port = first + ((start + i) % size);
    if (handedOut.has(port) || !(await bindable(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free port left in ${first}–${first + size - 1}`);
}

async function waitFor(check: () => boolean, what: string, ms = 15_000) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} did not start within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface TestServices {
  databaseUrl: string; redisUrl: string; stop(): Promise<void>;
  /** Stops Redis (its data goes: it keeps none on disk) until `startRedis`, which starts it again on the same port. */
  stopRedis(): Promise<void>;
  startRedis(): Promise<void>;
}

export async function startTestServices(): Promise<TestServices> {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-api-'));
  chmodSync(dir, 0o755);
  const pgData = join(dir, 'pg');
  const pgPort = await freePort();
  // PostgreSQL refuses to run as root: hand its directories to the postgres user then.
  const asUser: { uid?: number; gid?: number } = process.getuid?.() === 0
    ? { uid: Number(execFileSync('id', ['-u', 'postgres']).toString()), gid: Number(execFileSync('id', ['-g', 'postgres']).toString()) }
    : {};
  const pgSock = join(dir, 'sock');
  mkdirSync(pgData);
  mkdirSync(pgSock);
  if (asUser.uid !== undefined && asUser.gid !== undefined) { chownSync(pgData, asUser.uid, asUser.gid); chownSync(pgSock, asUser.uid, asUser.gid); }
  execFileSync(`${PG_BIN}/initdb`, ['-D', pgData, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8'], { stdio: 'ignore', ...asUser });
  const pgProc = spawn(`${PG_BIN}/postgres`, ['-D', pgData, '-p', String(pgPort), '-h', '127.0.0.1', '-k', pgSock, '-F', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'], { stdio: 'ignore', ...asUser });
  const redisPort = await freePort();
  const spawnRedis = () => spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  let redisProc = spawnRedis();
  const ready = (bin: string, args: string[]) => () => {
    try { execFileSync(bin, args, { stdio: 'ignore' }); return true; } catch { return false; }
  };
  await waitFor(ready(`${PG_BIN}/pg_isready`, ['-h', '127.0.0.1', '-p', String(pgPort), '-U', 'postgres']), 'postgres');
  await waitFor(ready('redis-cli', ['-p', String(redisPort), 'ping']), 'redis');
  const stopProc = (p: ChildProcess) => new Promise<void>((resolve) => {
    if (p.exitCode !== null || p.signalCode !== null) return resolve();
    p.once('exit', () => resolve());
    p.kill('SIGINT');
    setTimeout(() => p.kill('SIGKILL'), 5000).unref();
  });
  return {
    databaseUrl: `postgresql://postgres@127.0.0.1:${pgPort}/postgres`,
    redisUrl: `redis://127.0.0.1:${redisPort}`,
    async stopRedis() {
      await stopProc(redisProc);
    },
    async startRedis() {
      if (redisProc.exitCode === null && redisProc.signalCode === null) return;
      redisProc = spawnRedis();
      await waitFor(ready('redis-cli', ['-p', String(redisPort), 'ping']), 'redis');
    },
    async stop() {
      await Promise.all([stopProc(pgProc), stopProc(redisProc)]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
