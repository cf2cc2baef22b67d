import { parseCli } from '@tributary/contracts/cli';
import { Redis } from 'ioredis';
import { resolve } from 'node:path';
import { buildApp } from './app.ts';
import { DEFAULT_MESSAGE_QUOTA } from './messages/quota.ts';
import { isConsoleBuild } from './plugins/console.ts';
import { ensureBootstrapKey } from './bootstrap.ts';
import { createReconcileQueue } from './jobs/queue.ts';
import { PrismaStore } from './store/prisma-store.ts';
import { resealSecrets, secretBoxFromEnv } from './secrets.ts';

/** Process entry: env config, bootstrap key, listen, and a graceful shutdown on SIGTERM/SIGINT. */
parseCli('tributary-api', `
Usage: node apps/api/src/main.ts [--help] [--version]

The control-plane REST API. Configured by the environment:
  DATABASE_URL               PostgreSQL (required); pending migrations are applied on start
  REDIS_URL                  Redis for the reconcile queue (default redis://127.0.0.1:6379)
  PORT, HOST                 where to listen (default 8080, 0.0.0.0)
  LOG_LEVEL                  pino level (default info)
  TRIBUTARY_BOOTSTRAP_KEY    a fixed first admin key (>= 24 characters)
  INSTANCE_CACHE=off         read every instance from PostgreSQL (behind transaction poolers)
  TRIBUTARY_SECRET_KEY[_FILE]           32 bytes (hex or base64; required) sealing SCRAM salted passwords
  TRIBUTARY_SECRET_KEY_PREVIOUS[_FILE]  the key being rotated out; values under it are re-sealed on start
  TRUST_PROXY                true or proxy addresses whose X-Forwarded-For names the client (rate limits)
  CONSOLE_DIR                the web console's build to serve at / (default apps/console/dist; none when absent)
  MESSAGE_QUOTA_KEY_BYTES, MESSAGE_QUOTA_INSTANCE_BYTES, MESSAGE_QUOTA_WINDOW_SECONDS
                             bytes of message data over HTTP per API key and per instance per window
                             (default 1 GiB and 4 GiB per 60 s; 429 message-quota-exceeded past them)
  TRIBUTARY_LAG_SAMPLE_SECONDS   how often consumer-group lag is sampled for its history (default 60)
  TRIBUTARY_LAG_RETENTION_HOURS  how long lag history is kept (default 168)
See apps/api/README.md.`, {});
const databaseUrl = process.env['DATABASE_URL'];
const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
if (!databaseUrl) {
  console.error('DATABASE_URL is required (postgresql://user@host:port/db)');
  process.exit(2);
}
let secrets;
try {
  secrets = secretBoxFromEnv();
} catch (err) {
  console.error((err as Error).message);
  process.exit(2);
}
const port = Number(process.env['PORT'] ?? 8080);
const host = process.env['HOST'] ?? '0.0.0.0';

// INSTANCE_CACHE=off: every instance read goes to PostgreSQL (e.g. behind a transaction-mode pooler,
// where LISTEN would seem to work but deliver nothing).
const store = await PrismaStore.connect(databaseUrl, { instanceCache: process.env['INSTANCE_CACHE'] !== 'off' });
const queue = createReconcileQueue(redisUrl);
const generated = await ensureBootstrapKey(store, process.env['TRIBUTARY_BOOTSTRAP_KEY']);
if (generated) {
  // Printed once, on purpose outside the JSON log stream so it is easy to spot and not shipped to log storage.
  process.stdout.write(`\nBootstrap admin API key (shown once, store it now):\n  ${generated}\n\n`);
}
// Rate-limit counters live in Redis so every API process counts against the same limits.
const redis = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
// TRUST_PROXY: behind a load balancer, the proxies whose X-Forwarded-For names the client address
// (fastify's trustProxy: "true", or comma-separated addresses/CIDRs).
const trustProxyEnv = process.env['TRUST_PROXY'];
const trustProxy = trustProxyEnv === undefined ? false : trustProxyEnv === 'true' ? true : trustProxyEnv;
// The web console's static build (npm run build -w @tributary/console; the image and npm start build it).
const consoleDir = resolve(process.env['CONSOLE_DIR'] ?? resolve(import.meta.dirname, '../../console/dist'));
const serveConsole = isConsoleBuild(consoleDir);
// Messages over HTTP: the API's byte quota per key and per instance (apps/api/src/messages/quota.ts).
const positiveEnv = (name: string, fallback: number): number => {
  const raw = process.env[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n <= 0) {
    console.error(`${name} must be a positive integer, not ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return n;
};
const messageQuota = {
  keyBytes: positiveEnv('MESSAGE_QUOTA_KEY_BYTES', DEFAULT_MESSAGE_QUOTA.keyBytes),
  instanceBytes: positiveEnv('MESSAGE_QUOTA_INSTANCE_BYTES', DEFAULT_MESSAGE_QUOTA.instanceBytes),
  windowMs: positiveEnv('MESSAGE_QUOTA_WINDOW_SECONDS', DEFAULT_MESSAGE_QUOTA.windowMs / 1000) * 1000,
};
// Lag history (jobs/lag-sampler.ts): positive numbers; absent means the defaults (60 s, 168 h).
const positive = (name: string): number | undefined => {
  const v = process.env[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!(n > 0)) { console.error(`${name} must be a positive number, not ${v}`); process.exit(2); }
  return n;
};
const lagEvery = positive('TRIBUTARY_LAG_SAMPLE_SECONDS');
const lagRetention = positive('TRIBUTARY_LAG_RETENTION_HOURS');
const lagSampling = { ...(lagEvery ? { everyMs: lagEvery * 1000 } : {}), ...(lagRetention ? { retentionMs: lagRetention * 3600_000 } : {}) };
const app = await buildApp({ store, queue, redis, secrets, trustProxy, messageQuota, lagSampling, logger: { level: process.env['LOG_LEVEL'] ?? 'info' }, ...(serveConsole ? { consoleDir } : {}) });
if (serveConsole) app.log.info({ consoleDir }, 'serving the web console at /');
else app.log.warn({ consoleDir }, 'no web console build there (npm run build -w @tributary/console); / is not served');
// Values under the previous key (a rotation) or from before encryption at rest: sealed under the current one.
const resealed = await resealSecrets(store.pool, secrets);
app.log.info({ keyId: secrets.keyId, resealed }, 'secret key loaded; stored password equivalents re-sealed under it');

let closing = false;
async function shutdown(signal: string) {
  if (closing) return;
  closing = true;
  app.log.info({ signal }, 'shutting down: draining requests');
  const force = setTimeout(() => process.exit(1), 15_000);
  force.unref();
  await app.close();
  await queue.close();
  redis.disconnect();
  await store.close();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));

await app.listen({ port, host });
