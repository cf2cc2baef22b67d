import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// No Docker engine runs here, so the images are never built in CI on this machine. These checks catch
// the mistakes that would break `docker build` first: a workspace added without its manifest being
// copied (npm ci then refuses the lockfile), or a COPY of a path that does not exist.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const workspaces = ['apps', 'libs'].flatMap((d) => readdirSync(join(root, d)).filter((p) => existsSync(join(root, d, p, 'package.json'))).map((p) => `${d}/${p}`));

function copies(file: string): string[] {
  return readFileSync(join(root, 'docker', file), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('COPY ') && !l.includes('--from='))
    .map((l) => l.split(/\s+/)[1]!);
}

describe.each(['control-plane.Dockerfile', 'broker.Dockerfile'])('%s', (file) => {
  const text = readFileSync(join(root, 'docker', file), 'utf8');

  it('copies every workspace manifest before npm ci (the lockfile names them all)', () => {
    for (const ws of workspaces) expect(copies(file), ws).toContain(`${ws}/package.json`);
  });

  it('copies only paths that exist in the repository', () => {
    for (const src of copies(file)) {
      if (src === '.' || src === 'prisma/') continue; // prisma/ belongs to the data-model work; see README
      expect(existsSync(join(root, src)), src).toBe(true);
    }
  });

  it('runs as a non-root user under tini, on node:24-slim, with a healthcheck', () => {
    expect(text).toContain('ARG NODE_IMAGE=node:24-slim');
    expect(text).toMatch(/^USER 10001:10001$/m);
    expect(text).toMatch(/^ENTRYPOINT \["\/usr\/bin\/tini", "--"\]$/m);
    expect(text).toMatch(/^HEALTHCHECK .*CMD \["node", /m);
    expect(text).toContain('--omit=dev');
  });
});

describe('broker image', () => {
  it('contains every workspace package the broker imports', () => {
    const copied = copies('broker.Dockerfile');
    const imports = new Set<string>();
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(dir, e.name));
        else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) for (const m of readFileSync(join(dir, e.name), 'utf8').matchAll(/from '@tributary\/([a-z-]+)'/g)) imports.add(m[1]!);
      }
    };
    walk(join(root, 'apps/broker/src'));
    for (const pkg of imports) {
      const ws = workspaces.find((w) => w.endsWith(`/${pkg}`));
      expect(ws, pkg).toBeDefined();
      expect(copied, pkg).toContain(`${ws}/`);
    }
  });

  it('runs the bundle built from the sources in its own stage, and ships no sources', () => {
    const text = readFileSync(join(root, 'docker/broker.Dockerfile'), 'utf8');
    const stages = text.split(/^FROM /m).slice(1);
    expect(stages).toHaveLength(3);
    const [, build = '', final = ''] = stages;
    expect(build, 'a build stage on top of deps').toMatch(/^deps AS build\n/);
    expect(build).toContain('COPY apps/broker/ apps/broker/');
    expect(build).toContain('node apps/broker/scripts/build.ts');
    expect(final).toContain('COPY --from=build /app/apps/broker/dist/ apps/broker/dist/');
    // The bin runs the bundle as built only where src/ is absent (apps/broker/bin/built-broker.js).
    expect(final).not.toMatch(/^COPY apps\/broker\/(src\/)? /m);
    expect(final).not.toContain('esbuild');
  });
});
