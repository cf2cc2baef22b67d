import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { jsonSchemaTransform, jsonSchemaTransformObject, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { ApiError } from './errors.ts';
import type { Redis } from 'ioredis';
import type { SecretBox } from '@tributary/db';
import { authPlugin } from './plugins/auth.ts';
import { CONSOLE_PUBLIC_ROUTES, consolePlugin } from './plugins/console.ts';
import { inputPlugin, rewriteUrl } from './plugins/input.ts';
import { nameOperations } from './operation-ids.ts';
import { noneMatch } from './http.ts';
import { opsPlugin, type ReadinessCheck } from './plugins/ops.ts';
import { frameworkError, problemPlugin } from './plugins/problem.ts';
import { idempotencyPlugin } from './plugins/idempotency.ts';
import { instanceRoutes } from './routes/instances.ts';
import { topicRoutes } from './routes/topics.ts';
import { instanceObjectRoutes } from './routes/instance-objects.ts';
import { accountRoutes, billingRoutes } from './routes/billing.ts';
import { consumerGroupRoutes, operationRoutes } from './routes/operations.ts';
import { meRoutes } from './routes/me.ts';
import { LAG_RETENTION_MS, LAG_SAMPLE_MS, startLagSampler } from './jobs/lag-sampler.ts';
import { startTopicSampler } from './jobs/topic-sampler.ts';
import { messageRoutes } from './routes/messages.ts';
import { DEFAULT_MESSAGE_QUOTA, MessageQuota, type MessageQuotaOptions } from './messages/quota.ts';
import type { Store } from './store/types.ts';
import type { ReconcileQueue } from './jobs/queue.ts';

export interface AppOptions {
  store: Store;
  queue: ReconcileQueue;
  /** Seals password equivalents before they are stored (libs/db SecretBox; main.ts: TRIBUTARY_SECRET_KEY). */
  secrets: SecretBox;
  /** Requests per key per window; the window is one minute. */
  rateLimitMax?: number;
  /** Requests without a valid key per client address and minute before it is locked out (backoff doubles). */
  authFailureMax?: number;
  /**
   * Where rate-limit counters live. With Redis (main.ts passes it) every API process counts against
   * the same limit; without it (tests that do not care, the OpenAPI generator) each process counts alone.
   */
  redis?: Redis;
  /** Fastify's trustProxy: which proxies' X-Forwarded-For names the client address (TRUST_PROXY). */
  trustProxy?: FastifyServerOptions['trustProxy'];
  logger?: FastifyServerOptions['logger'];
  extraReadiness?: Record<string, ReadinessCheck>;
  docs?: boolean;
  /** A web console build (apps/console/dist) to serve at `/` (plugins/console.ts); none when absent. */
  consoleDir?: string;
  /**
   * Deliver the outbox's reconcile jobs to `queue` from this process (default true): writes commit
   * their job to PostgreSQL with the change, and the drainer moves it to Redis (jobs/outbox-drainer.ts).
   */
  outboxDrainer?: boolean;
  /** Bytes of message data per API key and per instance per window (messages/quota.ts; default DEFAULT_MESSAGE_QUOTA). */
  messageQuota?: MessageQuotaOptions;
  /**
   * Consumer-group lag history (jobs/lag-sampler.ts): how often each running instance's groups are
   * sampled (default a minute) and how long points are kept (default 7 days). The sampler runs with
   * the outbox drainer (the API's background work); `false` turns it off alone.
   */
  lagSampling?: { everyMs?: number; retentionMs?: number } | false;
}

export const BODY_LIMIT = 1024 * 1024;

export const OPENAPI_INFO = {
  title: 'Tributary API',
  version: '1.0.0',
  description: 'Control plane of Tributary, a managed Kafka service. Errors are RFC 9457 problem+json with a stable `code`. '
    + 'A platform admin key acts on another account by sending `Tributary-Account: <account id>` with any call: the call is then scoped to that account (403 `forbidden` for other keys, 404 `not-found` for an unknown account; GET /v1/me names both accounts).',
};

/** The whole API as one fastify instance; tests drive it with `app.inject`, main.ts listens. */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: BODY_LIMIT,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,128}$/.test(given) ? given : randomUUID();
    },
    requestIdHeader: false,
    trustProxy: options.trustProxy ?? false,
    // Kafka topic names reach 249 characters and sit in the path.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 512 },
    // Normalised before routing: auth, limits, logs and metrics all see one spelling of a path.
    rewriteUrl,
    // Malformed escapes and over-long parameters are refused by the router itself: problem+json too.
    frameworkErrors: frameworkError,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.addHook('onRequest', async (request, reply) => { reply.header('x-request-id', request.id); });

  await app.register(problemPlugin);
  await app.register(inputPlugin);
  // If-None-Match on any GET whose response has an ETag: 304 without a body (RFC 9110 §13.1.2).
  app.addHook('onSend', async (request, reply, payload) => {
    if ((request.method === 'GET' || request.method === 'HEAD') && reply.statusCode === 200) {
      const etag = reply.getHeader('etag');
      if (typeof etag === 'string' && noneMatch(request, etag)) {
        reply.code(304);
        return null;
      }
    }
    return payload;
  });
  nameOperations(app);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: OPENAPI_INFO,
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'API key: trb_<prefix>_<secret>' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  if (options.docs !== false) await app.register(swaggerUi, { routePrefix: '/docs' });

  await app.register(opsPlugin, {
    checks: { postgresql: () => options.store.ping(), redis: () => options.queue.ping(), ...options.extraReadiness },
    instanceCache: () => options.store.instanceCacheStatus?.() ?? null,
  });
  await app.register(rateLimit, {
    global: true,
    max: options.rateLimitMax ?? 600,
    timeWindow: 60_000,
    ...(options.redis ? { redis: options.redis, nameSpace: 'tributary:rate:' } : {}),
    hook: 'preHandler', // after auth: the bucket is the API key, not the address
    keyGenerator: (request) => request.principal ? `key:${request.principal.keyId}` : `ip:${request.ip}`,
    errorResponseBuilder: (_request, ctx) => new ApiError('rate-limited', `rate limit of ${ctx.max} requests per ${ctx.after} exceeded`, { status: 429 }),
  });
  // Requests without a valid key, per client address. exponentialBackoff: each failure past the
  // limit doubles the lock-out, so a key-guessing loop slows down instead of retrying every minute.
  // (The option reaches the store at run time; the plugin's types for createRateLimit omit it.)
  const failureLimit = app.createRateLimit({
    max: options.authFailureMax ?? 30,
    timeWindow: 60_000,
    exponentialBackoff: true,
    keyGenerator: (request) => `auth-failures:${request.ip}`,
  } as Parameters<typeof app.createRateLimit>[0]);
  await app.register(authPlugin, { store: options.store, docs: options.docs !== false, failureLimit, publicRoutes: options.consoleDir ? CONSOLE_PUBLIC_ROUTES : [] });

  await app.register(idempotencyPlugin, { store: options.store });

  await app.register(instanceRoutes, { store: options.store });
  await app.register(topicRoutes, { store: options.store });
  await app.register(instanceObjectRoutes, { store: options.store, secrets: options.secrets });
  await app.register(billingRoutes, { store: options.store });
  await app.register(accountRoutes, { store: options.store });
  await app.register(operationRoutes, { store: options.store });
  await app.register(meRoutes, { store: options.store });
  const lagSampling = { everyMs: (options.lagSampling || {}).everyMs ?? LAG_SAMPLE_MS, retentionMs: (options.lagSampling || {}).retentionMs ?? LAG_RETENTION_MS };
  await app.register(consumerGroupRoutes, { store: options.store, lagSampling });
  await app.register(messageRoutes, { store: options.store, secrets: options.secrets, quota: new MessageQuota(options.messageQuota ?? DEFAULT_MESSAGE_QUOTA, options.redis) });
  if (options.consoleDir) await app.register(consolePlugin, { dir: options.consoleDir });

  if (options.outboxDrainer !== false && options.store.startOutboxDrainer) {
    const drainer = options.store.startOutboxDrainer(options.queue, { log: app.log });
    app.addHook('onClose', () => drainer.stop());
  }
  // Prepaid expiry runs with the drainer: both are the API's background work on its own tables.
  if (options.outboxDrainer !== false && options.store.startBillingSweeper) {
    const sweeper = options.store.startBillingSweeper({ log: app.log });
    app.addHook('onClose', () => sweeper.stop());
  }
  if (options.outboxDrainer !== false && options.lagSampling !== false) {
    const sampler = startLagSampler({ store: options.store, ...lagSampling, log: app.log });
    // The topic list's size and message rate: sampled on the lag sampler's interval (its own retention).
    const topics = startTopicSampler({ store: options.store, everyMs: lagSampling.everyMs, log: app.log });
    app.addHook('onClose', async () => { await Promise.all([sampler.stop(), topics.stop()]); });
  }
  return app;
}
