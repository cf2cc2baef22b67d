/**
 * Simulated brokers for the metering benchmark, in a process of their own so the benchmark measures
 * the operator's CPU alone: one HTTP server answering `/i/<instance>/b/<broker>/metrics` with the
 * metering families a real broker serves (bytes per topic, principal and listener; log bytes per
 * partition replica; the metering epoch), counters growing on every scrape. Prints the port.
 *
 *   node bench/metering/brokers.ts [topicsPerBroker]
 */
import { createServer } from 'node:http';

if (process.argv.includes('--help')) {
  console.log('usage: node bench/metering/brokers.ts [topicsPerBroker=10]  (prints {"port": N})');
  process.exit(0);
}
const topics = Number(process.argv[2] ?? 10);
const epoch = Math.floor(Date.now() / 1000);
const scrapes = new Map<string, number>();
const server = createServer((req, res) => {
  const m = /^\/i\/(\d+)\/b\/(\d+)\/metrics$/.exec(req.url ?? '');
  if (!m) { res.writeHead(404).end(); return; }
  const key = `${m[1]}/${m[2]}`;
  const k = (scrapes.get(key) ?? 0) + 1;
  scrapes.set(key, k);
  const lines = [`tributary_broker_metering_epoch_seconds ${epoch}`];
  for (let t = 0; t < topics; t++) {
    for (const direction of ['in', 'out']) lines.push(`tributary_broker_metered_bytes_total{direction="${direction}",topic="topic-${t}",principal="User:app-${t % 3}",listener="SASL_PLAINTEXT"} ${k * 1_000_000 * (t + 1)}`);
    lines.push(`tributary_broker_partition_log_bytes{topic="topic-${t}",partition="0"} ${k * 4096}`);
  }
  res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(lines.join('\n') + '\n');
});
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: (server.address() as { port: number }).port })));
