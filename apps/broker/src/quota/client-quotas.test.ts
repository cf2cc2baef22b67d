import { describe, expect, it } from 'vitest';
import { ClientQuotas } from './client-quotas.ts';
import type { QuotaEntry, QuotaStore } from './quota-store.ts';
import { SampledRate, throttleMs } from './rate.ts';

const storeOf = (entries: QuotaEntry[]): QuotaStore => ({ all: () => entries, alter: () => undefined, version: 0 });

describe('quota precedence (Kafka order)', () => {
  const store = storeOf([
    { entity: { clientId: null }, values: { producer_byte_rate: 8 } },
    { entity: { clientId: 'etl' }, values: { producer_byte_rate: 7 } },
    { entity: { user: null }, values: { producer_byte_rate: 6 } },
    { entity: { user: null, clientId: 'etl' }, values: { producer_byte_rate: 4 } },
    { entity: { user: 'alice' }, values: { producer_byte_rate: 3 } },
    { entity: { user: 'alice', clientId: 'etl' }, values: { producer_byte_rate: 1, consumer_byte_rate: 11 } },
  ]);
  const q = new ClientQuotas(store);
  it.each([
    ['alice', 'etl', 1],
    ['alice', 'other', 3],
    ['bob', 'etl', 4],
    ['bob', 'other', 6],
  ])('user %s client %s → %d', (user, client, bound) => {
    expect(q.resolve(user, client, 'producer_byte_rate')?.bound).toBe(bound);
  });
  it('falls back to client-id quotas when no user quota exists, and to nothing at all', () => {
    const clientsOnly = new ClientQuotas(storeOf([{ entity: { clientId: 'etl' }, values: { producer_byte_rate: 7 } }, { entity: { clientId: null }, values: { producer_byte_rate: 8 } }]));
    expect(clientsOnly.resolve('x', 'etl', 'producer_byte_rate')?.bound).toBe(7);
    expect(clientsOnly.resolve('x', 'y', 'producer_byte_rate')?.bound).toBe(8);
    expect(clientsOnly.resolve('x', 'y', 'consumer_byte_rate')).toBeNull();
  });
});

describe('throttling', () => {
  it('measures over the sliding window and forgets bursts once they leave it', () => {
    const r = new SampledRate(3, 1000);
    r.record(3000, 0);
    expect(r.rate(0)).toBe(1500); // elapsed counts as at least (samples - 1) windows
    r.record(3000, 2500);
    expect(r.rate(2500)).toBe(2400);
    expect(r.rate(10_000)).toBe(0);
  });

  it('holds a client by how far it overshot, at most one window; within the bound, not at all', () => {
    expect(throttleMs(1000, 1000, 11_000)).toBe(0);
    expect(throttleMs(1500, 1000, 11_000)).toBe(5500);
    expect(throttleMs(1e9, 1000, 11_000)).toBe(11_000);
  });

  it('gives each user its own share of a <default> quota', () => {
    let now = 0;
    const q = new ClientQuotas(storeOf([{ entity: { user: null }, values: { producer_byte_rate: 100 } }]), { samples: 2, sampleMs: 1000, now: () => now });
    expect(q.record('alice', 'c', 'producer_byte_rate', 150).throttleMs).toBeGreaterThan(0);
    expect(q.record('bob', 'c', 'producer_byte_rate', 50).throttleMs).toBe(0);
    now = 5000;
    expect(q.record('alice', 'c', 'producer_byte_rate', 50).throttleMs).toBe(0);
  });
});

describe('resolution cache', () => {
  it('sees a quota change as soon as the store changes', () => {
    const entries: QuotaEntry[] = [{ entity: { clientId: 'etl' }, values: { producer_byte_rate: 7 } }];
    const store = { all: () => entries, alter: () => undefined, version: 0 };
    const q = new ClientQuotas(store);
    expect(q.resolve('u', 'etl', 'producer_byte_rate')?.bound).toBe(7);
    entries[0] = { entity: { clientId: 'etl' }, values: { producer_byte_rate: 9 } };
    expect(q.resolve('u', 'etl', 'producer_byte_rate')?.bound).toBe(7); // cached: the store did not say it changed
    store.version++;
    expect(q.resolve('u', 'etl', 'producer_byte_rate')?.bound).toBe(9);
  });
});

describe('connection_creation_rate per ip (KIP-612)', () => {
  it("an address's own quota beats the <default> ip quota; addresses without either are not counted", () => {
    const q = new ClientQuotas(storeOf([
      { entity: { ip: null }, values: { connection_creation_rate: 5 } },
      { entity: { ip: '127.0.0.2' }, values: { connection_creation_rate: 1 } },
      { entity: { user: 'alice' }, values: { producer_byte_rate: 1 } },
    ]));
    expect(q.recordConnection('127.0.0.2').bound).toBe(1);
    expect(q.recordConnection('::ffff:127.0.0.2').bound).toBe(1); // IPv4-mapped: the same address
    expect(q.recordConnection('127.0.0.3').bound).toBe(5);
    expect(new ClientQuotas(storeOf([])).recordConnection('127.0.0.2')).toEqual({ throttleMs: 0, bound: null });
  });

  it('accepts up to rate × the window (elapsed counts as at least samples - 1 windows), throttles the next without counting it', () => {
    const now = 0;
    const q = new ClientQuotas(storeOf([{ entity: { ip: '10.0.0.1' }, values: { connection_creation_rate: 2 } }]), { samples: 11, sampleMs: 1000, now: () => now });
    // 2/s over a 10 s minimum window: 20 connections at once are within it, the 21st is not.
    for (let i = 0; i < 20; i++) expect(q.recordConnection('10.0.0.1').throttleMs).toBe(0);
    const over = q.recordConnection('10.0.0.1').throttleMs;
    expect(over).toBeGreaterThan(0);
    // Not counted: the next one is throttled for the same time, not longer.
    expect(q.recordConnection('10.0.0.1').throttleMs).toBe(over);
  });

  it('an entity named by a host name applies to the address the name resolves to, as Kafka resolves it', async () => {
    const resolve = async (host: string) => {
      if (host === 'db.example') return '10.0.0.9';
      throw new Error('ENOTFOUND');
    };
    const q = new ClientQuotas(storeOf([{ entity: { ip: 'db.example' }, values: { connection_creation_rate: 3 } }]), { resolve });
    expect(await q.resolveIp('db.example')).toBe('10.0.0.9');
    expect(await q.resolveIp('nowhere.invalid')).toBeNull();
    expect(await q.resolveIp('::ffff:10.0.0.7')).toBe('10.0.0.7');
    expect(q.recordConnection('10.0.0.9').bound).toBe(3);
    expect(q.recordConnection('10.0.0.8').bound).toBeNull();
  });

  it('holds a connection past the rate for at most one quota sample (Kafka bounds the throttle so)', () => {
    const q = new ClientQuotas(storeOf([{ entity: { ip: '10.0.0.1' }, values: { connection_creation_rate: 1 } }]), { samples: 11, sampleMs: 1000, now: () => 0 });
    for (let i = 0; i < 10; i++) q.recordConnection('10.0.0.1');
    // 11 at once over the 10 s minimum: 1.1/s, 10 % over a 11 s window = 1100 ms, bounded to 1000.
    expect(q.recordConnection('10.0.0.1').throttleMs).toBe(1000);
  });
});
