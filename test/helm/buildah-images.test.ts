import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * docker/'s two images as docker/build-images.sh builds them with buildah (no Docker engine here):
 * their configuration (entrypoint tini, user 10001, the default command) and their programs run
 * with `buildah run --isolation chroot` — the image's own root, Node and packages, no container
 * runtime. Skipped where the image is not built, which includes CI: debootstrap and the
 * build take minutes (scripts/setup.d/70-images.sh, opt-in). Both images must be built where the
 * base is: docker/build-images.sh builds both.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const STORAGE = join(ROOT, '.cache/images/storage');
const run = promisify(execFile);
const buildah = (args: string[]) => run('buildah', ['--root', STORAGE, '--runroot', join(ROOT, '.cache/images/run'), '--storage-driver', 'vfs', ...args], { timeout: 300_000 });
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
