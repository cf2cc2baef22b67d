import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The broker image as docker/build-images.sh builds it with buildah from docker/broker.Dockerfile
 * (no Docker engine here): its configuration (entrypoint tini, user 10001, the broker command) and
 * its entrypoint run with `buildah run --isolation chroot` — the image's own root, Node and packages,
 * no container runtime. Skipped where the image is not built, which includes CI: debootstrap and the
 * build take minutes (scripts/setup.d/70-images.sh, opt-in).
 */
const ROOT = resolve(import.meta.dirname, '../..');
const STORAGE = join(ROOT, '.cache/images/storage');
const run = promisify(execFile);
const buildah = (args: string[]) => run('buildah', ['--root', STORAGE, '--runroot', join(ROOT, '.cache/images/run'), '--storage-driver', 'vfs', ...args], { timeout: 300_000 });
const built = existsSync(join(ROOT, '.cache/images/node-base.built')) && existsSync(STORAGE);

describe.skipIf(!built)('broker image built by buildah (skipped without .cache/images, as in CI: debootstrap and the build take minutes)', () => {
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
});
