/**
 * API benchmark (not a test): autocannon against a bare fastify hello-world, GET /v1/instances/{id}
 * and POST /v1/instances/{id}/topics with distinct names, in one run on real PostgreSQL and Redis.
 * The servers run in a child process (servers.ts); this process only generates load.
 * Usage: npm run bench:api [-- --duration 10 --connections 50]
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import { parseCli } from '@tributary/contracts/cli';

const values = parseCli('bench:api', `
Usage: npm run bench:api [-- --duration SECONDS --connections N]   (--help, --version)

autocannon against a fastify hello-world, GET /v1/instances/{id} and POST topics, on real PostgreSQL
and Redis, in one run. A benchmark, not a test; results go into bench/api/README.md.
  --duration SECONDS   per row (default 10)
  --connections N      concurrent connections (default 50)`, { duration: { type: 'string', default: '10' }, connections: { type: 'string', default: '50' } });
const duration = Number(values.duration);
const connections = Number(values.connections);

interface Row { name: string; reqPerSec: number; p50: number; p99: number; non2xx: number; errors: number }
async function run(name: string, opts: autocannon.Options): Promise<Row> {
  const r = await autocannon({ connections, duration, ...opts });
  return { name, reqPerSec: Math.round(r.requests.average), p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors };
}

const child = spawn(process.execPath, [new URL('./servers.ts', import.meta.url).pathname], { stdio: ['ignore', 'pipe', 'inherit'] });
const ready = await new Promise<{ helloUrl: string; apiUrl: string; key: string; instanceId: string }>((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error('servers did not start in 60 s')), 60_000);
  child.once('exit', (code) => reject(new Error(`servers exited with ${code}`)));
  createInterface({ input: child.stdout! }).once('line', (line) => { clearTimeout(timer); resolve(JSON.parse(line)); });
});
const rows: Row[] = [];
try {
  const headers = { authorization: `Bearer ${ready.key}`, 'content-type': 'application/json' };
  rows.push(await run('fastify hello-world', { url: ready.helloUrl }));
  rows.push(await run('GET /v1/billing/price-book (auth, no query)', { url: `${ready.apiUrl}/v1/billing/price-book`, headers }));
  rows.push(await run('GET /v1/instances/{id}', { url: `${ready.apiUrl}/v1/instances/${ready.instanceId}`, headers }));
  let n = 0;
  rows.push(await run('POST /v1/instances/{id}/topics', {
    url: `${ready.apiUrl}/v1/instances/${ready.instanceId}/topics`,
    requests: [{ method: 'POST', headers, setupRequest: (req) => ({ ...req, body: JSON.stringify({ name: `t-${n++}`, partitions: 1, replicationFactor: 3 }) }) }],
  }));
} finally {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
}

const base = rows[0]!.reqPerSec;
console.log(`\n${connections} connections, ${duration} s each, Node ${process.version}\n`);
console.log('| target | req/s | % of hello-world | p50 ms | p99 ms | non-2xx | errors |');
console.log('|---|---:|---:|---:|---:|---:|---:|');
for (const r of rows) console.log(`| ${r.name} | ${r.reqPerSec} | ${((100 * r.reqPerSec) / base).toFixed(0)}% | ${r.p50} | ${r.p99} | ${r.non2xx} | ${r.errors} |`);
