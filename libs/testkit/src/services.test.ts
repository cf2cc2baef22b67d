import { connect } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { Redis } from 'ioredis';
import { startTestServices, type TestServices } from './services.ts';

// Whether something accepts TCP connections on a loopback URL's port right now.
function accepts(url: string): Promise<boolean> {
  const port = Number(new URL(url).port);
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

describe('startTestServices', () => {
  let services: TestServices | undefined;
  afterAll(async () => { await services?.stop(); });

  it('starts PostgreSQL and Redis that accept queries, and stop() shuts both down', async () => {
    services = await startTestServices();
    const client = new pg.Client({ connectionString: services.databaseUrl });
    await client.connect();
    const { rows } = await client.query<{ n: number }>('select 1 + 1 as n');
    expect(rows[0]?.n).toBe(2);
    await client.end();

    const redis = new Redis(services.redisUrl, { maxRetriesPerRequest: 1 });
    await redis.set('k', 'v');
    expect(await redis.get('k')).toBe('v');
    redis.disconnect();

    await services.stop();
    expect(await accepts(services.databaseUrl)).toBe(false);
    expect(await accepts(services.redisUrl)).toBe(false);
    await services.stop(); // a second stop is harmless
  }, 60_000);
});
