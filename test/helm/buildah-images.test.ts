import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '@tributary/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { until } from '../support/until.ts';

/**
 * docker/'s two images as docker/build-images.sh builds them with buildah (no Docker engine here):
 * their configuration (entrypoint tini, user 10001, the default command) and their programs run
 * with `buildah run --isolation chroot` — the image's own root, Node and packages, no container
 * runtime. Skipped where the image is not built, which includes CI: debootstrap and the
 * build take minutes (scripts/setup.d/70-images.sh, opt-in). Both images must be built where the
 * base is: docker/build-images.sh builds both.
 *
 * The broker image also serves: its ENTRYPOINT (tini) and CMD run under `buildah run` (root, vfs,
 * chroot isolation, host network: only the CMD's ports are changed to free loopback ones), kcat
 * produces and consumes through it, and the data lands in the image's VOLUME. What buildah 1.28
 * does here, measured 2026-12-02: chroot isolation has no PID namespace, so tini is not PID 1 (it
 * warns that it cannot reap zombies), and killing the `buildah run` process itself (SIGTERM or
 * SIGINT) does NOT stop the broker: buildah's helpers and tini die, and node, which tini put in a
 * process group of its own, is reparented to PID 1 and keeps serving on its port. So the test stops
 * the container as a runtime's `stop` does — SIGTERM to the entrypoint (tini), which forwards it to
 * the broker (controlled shutdown) — then `buildah run` exits by itself, and the test checks that
 * no process of the tree, nor any with the broker's listener, remains.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const STORAGE = join(ROOT, '.cache/images/storage');
const run = promisify(execFile);
const buildah = (args: string[]) => run('buildah', ['--root', STORAGE, '--runroot', join(ROOT, '.cache/images/run'), '--storage-driver', 'vfs', ...args], { timeout: 300_000 });
type ImageConfig = { Entrypoint: string[]; Cmd: string[]; User: string; WorkingDir: string };
const imageConfig = async (image: string) => (JSON.parse((await buildah(['inspect', '--type', 'image', image])).stdout) as { OCIv1: { config: ImageConfig } }).OCIv1.config;

interface Proc { pid: number; ppid: number; uid: number; argv: string[] }
/** Every process on the machine, from /proc (processes that end while being read are left out). */
function processes(): Proc[] {
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).flatMap((d) => {
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      // "pid (comm) state ppid ...": comm may hold spaces, so read after its closing parenthesis.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const uid = Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${d}/status`, 'utf8'))?.[1]);
      const argv = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').filter(Boolean);
      return [{ pid: Number(d), ppid, uid, argv }];
    } catch {
      return [];
    }
  });
}
function descendants(root: number, all = processes()): Proc[] {
  const found: Proc[] = [];
  for (let level = new Set([root]); level.size > 0;) {
    const next = all.filter((p) => level.has(p.ppid));
    found.push(...next);
    level = new Set(next.map((p) => p.pid));
  }
  return found;
}
const alive = (pid: number) => {
  try { process.kill(pid, 0); return true; } catch { return false; }
};

const built = existsSync(join(ROOT, '.cache/images/node-base.built')) && existsSync(STORAGE);

describe.skipIf(!built)('images built by buildah (skipped without .cache/images, as in CI: debootstrap and the build take minutes)', () => {
  const containers: string[] = [];
  afterAll(async () => {
    for (const c of containers) await buildah(['rm', c]).catch(() => undefined);
  });

  it('has the Dockerfile\'s configuration, and its broker answers --help inside the image', async () => {
    const { stdout: inspect } = await buildah(['inspect', '--type', 'image', 'tributary/broker:dev']);
    const config = (JSON.parse(inspect) as { OCIv1: { config: { Entrypoint: string[]; Cmd: string[]; User: string; WorkingDir: string } } }).OCIv1.config;
    expect(config.Entrypoint).toEqual(['/usr/bin/tini', '--']);
    expect(config.Cmd[0]).toBe('tributary-broker');
    expect(config.User).toBe('10001:10001');
    expect(config.WorkingDir).toBe('/app');
    const { stdout: ctr } = await buildah(['from', '--pull=never', 'tributary/broker:dev']);
    containers.push(ctr.trim());
    const help = await buildah(['run', '--isolation', 'chroot', ctr.trim(), '--', 'tributary-broker', '--help']);
    expect(help.stdout).toMatch(/--listeners/);
    const version = await buildah(['run', '--isolation', 'chroot', ctr.trim(), '--', 'node', '--version']);
    expect(version.stdout.trim()).toMatch(/^v24\./);
  }, 600_000);

  // The console's static files come from the image's own Vite stage; the entry points the chart
  // runs (the API, the operator, the db-roles init step) answer --help from the image's root.
  it('control-plane image: the Dockerfile\'s configuration, the console built, and the chart\'s entry points answer --help inside it', async () => {
    const { stdout: inspect } = await buildah(['inspect', '--type', 'image', 'tributary/control-plane:dev']);
    const config = (JSON.parse(inspect) as { OCIv1: { config: { Entrypoint: string[]; Cmd: string[]; User: string; WorkingDir: string } } }).OCIv1.config;
    expect(config.Entrypoint).toEqual(['/usr/bin/tini', '--']);
    expect(config.Cmd).toEqual(['node', 'apps/api/src/main.ts']);
    expect(config.User).toBe('10001:10001');
    expect(config.WorkingDir).toBe('/app');
    const { stdout: ctr } = await buildah(['from', '--pull=never', 'tributary/control-plane:dev']);
    containers.push(ctr.trim());
    const inImage = (argv: string[]) => buildah(['run', '--isolation', 'chroot', ctr.trim(), '--', ...argv]);
    expect((await inImage(['node', 'apps/api/src/main.ts', '--help'])).stdout).toMatch(/^Usage: node apps\/api\/src\/main.ts/);
    expect((await inImage(['node', 'apps/operator/src/main.ts', '--help'])).stdout).toMatch(/^Usage: node apps\/operator\/src\/main.ts/);
    expect((await inImage(['node', 'libs/db/scripts/db-roles.ts', '--help'])).stdout).toMatch(/--step roles\|grants/);
    expect((await inImage(['sh', '-c', 'ls apps/console/dist'])).stdout).toMatch(/index\.html/);
  }, 900_000);
});

describe.skipIf(!built)('the broker image serving under buildah run (skipped without .cache/images, as in CI: debootstrap and the build take minutes)', () => {
  const containers: string[] = [];
  // The test's processes, killed by id should it fail before stopping them (see the file's comment).
  const started: number[] = [];
  afterAll(async () => {
    for (const pid of started.reverse()) if (alive(pid)) process.kill(pid, 'SIGKILL');
    for (const c of containers) await buildah(['rm', c]).catch(() => undefined);
  });

  it('runs the image\'s ENTRYPOINT and CMD with buildah run; kcat produces and consumes through it; SIGTERM to tini stops it and nothing remains', async () => {
    const config = await imageConfig('tributary/broker:dev');
    const { stdout: ctrOut } = await buildah(['from', '--pull=never', 'tributary/broker:dev']);
    const ctr = ctrOut.trim();
    containers.push(ctr);
    const port = await freePort();
    const metricsPort = await freePort();
    const listener = `PLAINTEXT://127.0.0.1:${port}`;
    // The image's own command, its ports moved to free loopback ones (host network: 9092 may be taken).
    const cmd = config.Cmd.map((a) => (/^PLAINTEXT:\/\/(0\.0\.0\.0|localhost):9092$/.test(a) ? listener : a === '9404' ? String(metricsPort) : a));
    expect(cmd.filter((a) => a === listener)).toHaveLength(2);
    expect(cmd).toContain(String(metricsPort));
    expect(cmd.join(' ')).not.toMatch(/9092|9404/);
    expect(cmd).toContain('/var/lib/tributary/data');

    const child = spawn('buildah', ['--root', STORAGE, '--runroot', join(ROOT, '.cache/images/run'), '--storage-driver', 'vfs',
      'run', '--isolation', 'chroot', '--network', 'host', ctr, '--', ...config.Entrypoint, ...cmd], { stdio: ['ignore', 'pipe', 'pipe'] });
    started.push(child.pid!);
    let output = '';
    child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
    // 'close': the process has exited and its output is all read.
    let closed: { code: number | null } | null = null;
    child.once('close', (code) => { closed = { code }; });
    const explain = () => `buildah run output:\n${output}`;

    const up = await until(async () => {
      if (closed) return 'exited';
      const { stdout } = await run('kcat', ['-L', '-b', `127.0.0.1:${port}`, '-m', '5'], { timeout: 15_000 });
      return stdout.includes(`broker 1 at 127.0.0.1:${port}`) ? 'up' : null;
    }, 'the broker in the image to answer Metadata', 180_000, explain);
    expect(up, explain()).toBe('up');

    // The processes: buildah's chroot helpers, the ENTRYPOINT (tini), and under it the broker,
    // running as the image's USER.
    const tree = descendants(child.pid!);
    const tini = tree.find((p) => p.argv[0] === '/usr/bin/tini');
    const broker = tree.find((p) => p.ppid === tini?.pid && p.argv.some((a) => a.endsWith('/tributary-broker')));
    expect(tini, JSON.stringify(tree)).toBeDefined();
    expect(broker, JSON.stringify(tree)).toBeDefined();
    started.push(...tree.map((p) => p.pid));
    expect(broker!.uid).toBe(10001);
    expect(broker!.argv).toContain(listener);

    const topic = `image-${randomUUID().slice(0, 8)}`;
    const records = Array.from({ length: 20 }, (_, i) => `k${i}:v${i}-${topic}`);
    await new Promise<void>((resolveProduce, reject) => {
      const producer = execFile('kcat', ['-P', '-b', `127.0.0.1:${port}`, '-t', topic, '-K', ':', '-X', 'acks=all'], { timeout: 120_000 }, (err) => (err ? reject(err) : resolveProduce()));
      producer.stdin!.end(records.join('\n') + '\n');
    });
    const { stdout: consumed } = await run('kcat', ['-C', '-b', `127.0.0.1:${port}`, '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%k:%s\n'], { timeout: 120_000 });
    expect(consumed.trim().split('\n')).toEqual(records);
    // The CMD's metrics port serves too, and counted the produce requests.
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/tributary_broker_requests_total\{api="Produce"\} [1-9]/);

    // Stop as a container runtime does: SIGTERM to the entrypoint, which forwards it to the broker.
    process.kill(tini!.pid, 'SIGTERM');
    const { code } = await until(() => closed, 'buildah run to exit after SIGTERM to tini', 60_000, explain);
    expect(code, explain()).toBe(0);
    expect(output).toMatch(/"msg":"shutting down".*"signal":"SIGTERM"/);
    expect(output).toMatch(/"msg":"broker stopped"/);
    const remaining = processes().filter((p) => tree.some((t) => t.pid === p.pid && t.argv.join(' ') === p.argv.join(' ')) || p.argv.includes(listener));
    expect(remaining).toEqual([]);
    await expect(run('kcat', ['-L', '-b', `127.0.0.1:${port}`, '-m', '2'], { timeout: 15_000 })).rejects.toThrow();

    // The log went to the image's data directory (its VOLUME, kept with the container), and
    // buildah's chroot left the host's device nodes alone.
    const { stdout: data } = await buildah(['run', '--isolation', 'chroot', ctr, '--', 'ls', '/var/lib/tributary/data']);
    expect(data.split('\n')).toContain(`${topic}-0`);
    const { stdout: devNull } = await run('ls', ['-l', '/dev/null']);
    expect(devNull).toMatch(/^crw-rw-rw- /);
  }, 600_000);
});
