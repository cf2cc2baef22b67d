import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { InstanceCacheStatus } from '../store/types.ts';
import { z } from 'zod';

export type ReadinessCheck = () => Promise<void>;

/** /healthz (the process answers), /readyz (dependencies answer): public; /metrics (Prometheus): platform admin keys only. */
export const opsPlugin = fp(async (app: FastifyInstance, opts: { checks: Record<string, ReadinessCheck>; instanceCache?: () => InstanceCacheStatus | null }) => {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({ name: 'tributary_api_requests_total', help: 'HTTP requests', labelNames: ['method', 'route', 'status'], registers: [registry] });
  const latency = new Histogram({
    name: 'tributary_api_request_duration_seconds', help: 'HTTP request latency', labelNames: ['method', 'route'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers: [registry],
  });
  if (opts.instanceCache) registerInstanceCacheMetrics(registry, opts.instanceCache);
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    latency.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });

  const hide = { hide: true } as const;
  app.get('/healthz', { schema: { ...hide } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { ...hide } }, async (_request, reply) => {
    const results: Record<string, string> = {};
    await Promise.all(Object.entries(opts.checks).map(async ([name, check]) => {
      try {
        await Promise.race([check(), new Promise((_, rej) => setTimeout(() => rej(new Error('timeout after 2 s')), 2000).unref())]);
        results[name] = 'ok';
      } catch (err) {
        results[name] = (err as Error).message || 'unreachable';
      }
    }));
    const ready = Object.values(results).every((r) => r === 'ok');
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not-ready', checks: results });
  });
  app.get('/metrics', { config: { platformOnly: true }, schema: { ...hide, response: { 200: z.string() } } }, async (_request, reply) => {
    reply.type(registry.contentType);
    return registry.metrics();
  });
}, { name: 'ops' });

/**
 * The instance cache's counters, read when Prometheus scrapes: reads by result (hit, miss, bypassed
 * while LISTEN is down), invalidations, rows held, and whether it is serving from memory at all.
 */
function registerInstanceCacheMetrics(registry: Registry, status: () => InstanceCacheStatus | null) {
  const reported = { hit: 0, miss: 0, bypassed: 0, invalidations: 0 };
  new Counter({
    name: 'tributary_api_instance_cache_reads_total', help: 'Instance reads by cache result (hit, miss, bypassed: LISTEN down)', labelNames: ['result'], registers: [registry],
    collect() {
      const s = status();
      if (!s) return;
      for (const [result, now] of [['hit', s.hits], ['miss', s.misses], ['bypassed', s.bypassed]] as const) {
        this.inc({ result }, now - reported[result]);
        reported[result] = now;
      }
    },
  });
  new Counter({
    name: 'tributary_api_instance_cache_invalidations_total', help: 'Instance rows dropped: notifications and own writes', registers: [registry],
    collect() {
      const s = status();
      if (!s) return;
      this.inc(s.invalidations - reported.invalidations);
      reported.invalidations = s.invalidations;
    },
  });
  new Gauge({ name: 'tributary_api_instance_cache_rows', help: 'Instance rows held in memory', registers: [registry], collect() { this.set(status()?.size ?? 0); } });
  new Gauge({
    name: 'tributary_api_instance_cache_listening', help: '1 while the cache serves from memory (LISTEN established), 0 while bypassed', registers: [registry],
    collect() { this.set(status()?.usable ? 1 : 0); },
  });
}
