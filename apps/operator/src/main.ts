import { parseCli } from '@tributary/contracts/cli';
import { resolve } from 'node:path';
import { startOperatorWorker } from './jobs/worker.ts';
import { startMeteringWorker } from './metering/metering-job.ts';
import { MeteringMetrics } from './metering/metrics.ts';
import { createServer } from 'node:http';
import { UsageStore } from './metering/usage-store.ts';
import { InstanceReconciler } from './reconcile/instance-reconciler.ts';
import { LocalRuntime } from './runtimes/local/local-runtime.ts';
import { KUBERNETES_ENV_HELP, kubernetesRuntimeFromEnv } from './runtimes/kubernetes/from-env.ts';
import type { BrokerRuntime } from './runtimes/runtime.ts';
import { SecretBox, waitForMigrations } from '@tributary/db';
import { DesiredStateStore } from './store/desired-state-store.ts';
import { BROKER_NODE_FLAGS } from '@tributary/contracts';

/**
 * Operator entry point: DATABASE_URL and REDIS_URL as the API's; ETCD_ENDPOINTS (comma-separated URLs)
 * is where instances' brokers coordinate. TRIBUTARY_RUNTIME picks where brokers run: `local` (child
 * processes under TRIBUTARY_INSTANCES_DIR) or `kubernetes` (StatefulSets; the Helm chart's setting,
 * configured by runtimes/kubernetes/from-env.ts).
 */
parseCli('tributary-operator', `
Usage: node apps/operator/src/main.ts [--help] [--version]

The operator: reconciles instances into broker clusters (child processes or Kubernetes StatefulSets).
It does not migrate; it waits for the API to have applied the schema. Configured by the environment:
  DATABASE_URL               PostgreSQL (required)
  TRIBUTARY_SECRET_KEY[_FILE]           the API's key, to open the SCRAM salted passwords it sealed
  TRIBUTARY_SECRET_KEY_PREVIOUS[_FILE]  the key being rotated out
  REDIS_URL                  Redis with the reconcile queue (default redis://127.0.0.1:6379)
  ETCD_ENDPOINTS             etcd for multi-broker instances (without it only 1-broker instances run)
  TRIBUTARY_RUNTIME          local (default: brokers as child processes) | kubernetes (StatefulSets)
  TRIBUTARY_OPERATOR_METRICS_PORT  serve Prometheus metrics (metering) on GET /metrics at this port
  TRIBUTARY_OPERATOR_METRICS_HOST  its address (default 127.0.0.1)
Local runtime:
  TRIBUTARY_INSTANCES_DIR    where brokers keep their data (default .data/instances)
  TRIBUTARY_CLIENT_HOST      address of instances' client (SASL) endpoints (default 127.0.0.1); their
                             internal listener stays on 127.0.0.1
  TRIBUTARY_LOCAL_ZONES      zones this machine stands for (e.g. zone-a,zone-b,zone-c): broker n runs
                             in zone n-1 mod count with it as --rack (default: no rack)
  TRIBUTARY_INSTANCE_TLS_KEYSTORE      PEM file (private key + certificate chain): instances' client
                             endpoints speak SASL_SSL with it (default: SASL_PLAINTEXT)
  TRIBUTARY_INSTANCE_TLS_KEY_PASSWORD  password of an encrypted key in it
Kubernetes runtime:${KUBERNETES_ENV_HELP}
See apps/operator/README.md.`, {});
const databaseUrl = process.env['DATABASE_URL'];
const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
if (!databaseUrl) {
  console.error('DATABASE_URL is required');
  process.exit(2);
}
const log = (msg: string, fields: Record<string, unknown> = {}) => process.stdout.write(JSON.stringify({ time: new Date().toISOString(), level: 'info', component: 'operator', msg, ...fields }) + '\n');
const runtimeName = process.env['TRIBUTARY_RUNTIME'] || 'local';
if (runtimeName !== 'local' && runtimeName !== 'kubernetes') {
  console.error(`TRIBUTARY_RUNTIME must be local or kubernetes, not "${runtimeName}"`);
  process.exit(2);
}
const runtime: BrokerRuntime = runtimeName === 'kubernetes' ? kubernetesRuntimeFromEnv(process.env) : new LocalRuntime({
  rootDir: process.env['TRIBUTARY_INSTANCES_DIR'] ?? resolve('.data/instances'),
  brokerCommand: [process.execPath, ...BROKER_NODE_FLAGS, resolve(import.meta.dirname, '../../../node_modules/.bin/tributary-broker')],
  ...(process.env['TRIBUTARY_CLIENT_HOST'] ? { clientHost: process.env['TRIBUTARY_CLIENT_HOST'] } : {}),
  ...(process.env['TRIBUTARY_LOCAL_ZONES'] ? { zones: process.env['TRIBUTARY_LOCAL_ZONES'].split(',').map((z) => z.trim()).filter((z) => z !== '') } : {}),
  ...(process.env['TRIBUTARY_INSTANCE_TLS_KEYSTORE']
    ? { clientTls: { keystore: resolve(process.env['TRIBUTARY_INSTANCE_TLS_KEYSTORE']), ...(process.env['TRIBUTARY_INSTANCE_TLS_KEY_PASSWORD'] ? { keyPassword: process.env['TRIBUTARY_INSTANCE_TLS_KEY_PASSWORD'] } : {}) } }
    : {}),
});
// Only the API migrates (one migration runner; libs/db README "Table ownership"). Either process may
// start first (Kubernetes starts both at once), so the operator waits for the schema it was built for.
await waitForMigrations(databaseUrl, { onWait: (pending) => log('waiting for the API to apply migrations', { pending }) });
// The key the API seals SCRAM salted passwords with (TRIBUTARY_SECRET_KEY[_FILE], …_PREVIOUS during a rotation).
const store = new DesiredStateStore(databaseUrl, { secrets: SecretBox.fromEnv() });
// Brokers of an instance form a replicated cluster through etcd; without it only 1-broker instances run.
const etcdEndpoints = process.env['ETCD_ENDPOINTS'] || null;
const worker = await startOperatorWorker({ redisUrl, store, reconciler: new InstanceReconciler(runtime, { etcdEndpoints }), log });
// Billing: every minute the brokers' metered counters become samples and hourly usage (src/metering).
const usage = new UsageStore(databaseUrl);
const meteringMetrics = new MeteringMetrics();
const metering = await startMeteringWorker({ redisUrl, store: usage, runtime, instanceIds: () => store.instanceIds(), log, metrics: meteringMetrics });
// Prometheus text on GET /metrics (metering's clock-skew refusals and skew) when a port is given.
const metricsPort = process.env['TRIBUTARY_OPERATOR_METRICS_PORT'];
const metricsServer = metricsPort ? createServer((req, res) => {
  if (req.method !== 'GET' || req.url !== '/metrics') { res.writeHead(404).end(); return; }
  void meteringMetrics.registry.metrics().then((text) => res.writeHead(200, { 'content-type': meteringMetrics.registry.contentType }).end(text));
}).listen(Number(metricsPort), process.env['TRIBUTARY_OPERATOR_METRICS_HOST'] ?? '127.0.0.1') : null;
log('operator started', { runtime: runtime.name, etcdEndpoints });

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  // Brokers are detached on purpose: they keep serving while the operator restarts.
  await worker.close();
  await metering.close();
  metricsServer?.close();
  await usage.close();
  await store.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
