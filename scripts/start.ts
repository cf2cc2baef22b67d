/**
 * `npm start`: the local stack on this machine, with defaults that need no configuration.
 * Today that is one Tributary broker (the control plane, operator and console are not built yet;
 * see the README's status table). Data lives in .data/ and survives restarts; Ctrl-C stops cleanly.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const dataDir = process.env.TRIBUTARY_DATA_DIR ?? join(root, '.data');

function portFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const s = createServer();
    s.once('error', () => done(false));
    s.listen(port, '127.0.0.1', () => s.close(() => done(true)));
  });
}

const port = Number(process.env.TRIBUTARY_BROKER_PORT ?? ((await portFree(9092)) ? 9092 : 19092));
const metricsPort = port + 1;
const broker = spawn(
  process.execPath,
  [join(root, 'node_modules/.bin/tributary-broker'), '--node-id', '1', '--listeners', `PLAINTEXT://127.0.0.1:${port}`, '--data-dir', join(dataDir, 'broker-1'), '--metrics-port', String(metricsPort)],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);

broker.stdout!.on('data', (chunk: Buffer) => {
  process.stdout.write(chunk);
  if (chunk.includes('"broker started"')) {
    process.stdout.write(`
Tributary local stack is up.
  bootstrap servers: 127.0.0.1:${port}
  broker metrics:    http://127.0.0.1:${metricsPort}/metrics
  data:              ${dataDir}

Try it:
  printf 'k1:hello\\nk2:world\\n' | kcat -P -b 127.0.0.1:${port} -t demo -K:
  kcat -C -b 127.0.0.1:${port} -t demo -o beginning -e

Ctrl-C stops everything.
`);
  }
});

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  broker.kill('SIGTERM');
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
broker.on('exit', (code) => process.exit(stopping ? 0 : (code ?? 1)));
