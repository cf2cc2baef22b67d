// A process that behaves like a broker as far as the local runtime can see: it accepts the broker's
// flags, listens on the --listeners port and exits on SIGTERM. It tests supervision mechanics only;
// the real broker is exercised by test/e2e.
import { createServer } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const args = process.argv.slice(2);
const flag = (name: string) => args[args.indexOf(name) + 1];
// The first listener is PLAINTEXT, the one the runtime probes for readiness.
const listener = new URL(flag('--listeners')!.split(',')[0]!.replace('PLAINTEXT://', 'tcp://'));
writeFileSync(join(flag('--data-dir')!, 'argv.json'), JSON.stringify(args));
const server = createServer((socket) => socket.end());
server.listen(Number(listener.port), listener.hostname);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
