import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

/**
 * The address Kafka's InetAddress.getByName gives a name: a literal as it is, a host name's first
 * address with IPv4 addresses before IPv6 ones (Java's default, java.net.preferIPv6Addresses=false).
 * Rejects when the name does not resolve; bounded, so that a slow resolver cannot hold the caller.
 */
export async function resolveHost(name: string, timeoutMs = 2000): Promise<string> {
  if (isIP(name) !== 0) return name;
  let timer: NodeJS.Timeout | undefined;
  try {
    const all = await Promise.race([
      lookup(name, { all: true }),
      new Promise<never>((_, fail) => (timer = setTimeout(() => fail(new Error(`${name}: no answer from the resolver in ${timeoutMs} ms`)), timeoutMs))),
    ]);
    const chosen = all.find((a) => a.family === 4) ?? all[0];
    if (!chosen) throw new Error(`${name} resolves to no address`);
    return chosen.address;
  } finally {
    clearTimeout(timer);
  }
}
