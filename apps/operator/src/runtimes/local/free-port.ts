import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Where the kernel's ephemeral ports start (net.ipv4.ip_local_port_range); Linux's default when unreadable. */
export function ephemeralPortStart(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 1024 ? low : 32768;
  } catch {
    return 32768;
  }
}

/** The lowest port tried: above the well-known and the commonly configured service ports. */
const LOWEST = 20000;

function bindable(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/**
 * A free loopback port for a broker, free now but not reserved (callers persist it). Chosen below the
 * kernel's ephemeral range: a port the kernel hands out (port 0) is one outgoing connections take
 * too, so between the choice and the broker's bind any client connection could hold it, and a
 * persisted port held that way would keep the broker from starting on every restart. Falls back to
 * the kernel's choice when no port below the range is free after a few tries.
 */
export async function freeLoopbackPort(host = '127.0.0.1'): Promise<number> {
  const top = ephemeralPortStart();
  for (let attempt = 0; attempt < 20 && top > LOWEST; attempt++) {
    const port = LOWEST + Math.floor(Math.random() * (top - LOWEST));
    if (await bindable(port, host)) return port;
  }
  return kernelChosenPort(host);
}

function kernelChosenPort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}
