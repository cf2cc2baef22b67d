import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';

/**
 * The web console (apps/console, built by Vite into `dist/`) served from `/`: hashed files under
 * `/assets/` (cached for a year: their names change with their content) and `index.html` for every
 * page the console routes in the browser, so a copied URL opens the same screen. The files hold no
 * data — the console signs in with an API key and calls /v1 like any client — so these routes are
 * public; everything else stays default-deny (plugins/auth.ts).
 */
export const CONSOLE_PAGES = ['/', '/sign-in', '/instances', '/instances/*', '/api-keys', '/audit', '/billing', '/billing/*', '/quote'] as const;
export const CONSOLE_PUBLIC_ROUTES: readonly string[] = [...CONSOLE_PAGES, '/assets/*', '/favicon.svg'];

/**
 * The browser may run only the console's own scripts and talk only to this origin. Mantine sets
 * inline `style` attributes, hence 'unsafe-inline' for styles (not for scripts).
 */
const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

/** Whether `dir` holds a console build (main.ts serves it only then, and says so when not). */
export const isConsoleBuild = (dir: string) => existsSync(join(dir, 'index.html'));

export async function consolePlugin(app: FastifyInstance, opts: { dir: string }) {
  const index = readFileSync(join(opts.dir, 'index.html'));
  const page = { schema: { hide: true } };
  for (const url of CONSOLE_PAGES) {
    app.get(url, page, async (_request, reply) => reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-cache')
      .header('content-security-policy', CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .send(index));
  }
  const favicon = join(opts.dir, 'favicon.svg');
  if (existsSync(favicon)) {
    const svg = readFileSync(favicon);
    app.get('/favicon.svg', page, async (_request, reply) => reply.type('image/svg+xml').header('cache-control', 'max-age=86400').send(svg));
  }
  // decorateReply: false — @fastify/swagger-ui registers its own copy of the plugin for /docs.
  await app.register(fastifyStatic, {
    root: join(opts.dir, 'assets'),
    prefix: '/assets/',
    decorateReply: false,
    immutable: true,
    maxAge: '365d',
    index: false,
  });
}
