import { isIP } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseArgs } from '../config/broker-config.ts';
import { connectionLimitSettings } from './connection-limit-settings.ts';
import { ConnectionLimits, parsePerIpOverrides, UNLIMITED, type ConnectionLimitSettings } from './connection-limits.ts';

const settings = (o: Partial<ConnectionLimitSettings> = {}): ConnectionLimitSettings => ({
  maxConnections: UNLIMITED,
  maxConnectionsPerIp: UNLIMITED,
  perIpOverrides: new Map(),
  maxConnectionCreationRate: UNLIMITED,
  listeners: new Map(),
  protectedListener: null,
  samples: 11,
  sampleMs: 1000,
  ...o,
});

describe("connection limits (Kafka's ConnectionQuotas)", () => {
  it('max.connections.per.ip and its overrides: the connection past the count is refused, and counted until it is removed', () => {
    const limits = new ConnectionLimits(settings({ maxConnectionsPerIp: 2, perIpOverrides: new Map([['10.0.0.5', 1]]) }));
    expect(limits.add('PLAINTEXT', '10.0.0.1')).toBe(true);
    expect(limits.add('PLAINTEXT', '::ffff:10.0.0.1')).toBe(true); // the same address
    expect(limits.add('SASL_PLAINTEXT', '10.0.0.1')).toBe(false); // over every listener
    expect(limits.total).toBe(3);
    limits.remove('SASL_PLAINTEXT', '10.0.0.1');
    limits.remove('PLAINTEXT', '10.0.0.1');
    expect(limits.add('PLAINTEXT', '10.0.0.1')).toBe(true);
    expect(limits.add('PLAINTEXT', '10.0.0.5')).toBe(true);
    expect(limits.add('PLAINTEXT', '10.0.0.5')).toBe(false);
  });

  it('a listener at its max.connections has no slot; the broker at max.connections has none but on the protected listener, which can take it past', () => {
    const limits = new ConnectionLimits(settings({ maxConnections: 2, listeners: new Map([['EXTERNAL', { maxConnections: 1, maxConnectionCreationRate: UNLIMITED }]]), protectedListener: 'INTERNAL' }));
    expect(limits.slotAvailable('EXTERNAL')).toBe(true);
    limits.add('EXTERNAL', '10.0.0.1');
    expect(limits.slotAvailable('EXTERNAL')).toBe(false); // the listener's own limit
    expect(limits.slotAvailable('CLIENTS')).toBe(true);
    limits.add('CLIENTS', '10.0.0.2');
    expect(limits.slotAvailable('CLIENTS')).toBe(false); // the broker's
    expect(limits.slotAvailable('INTERNAL')).toBe(true);
    limits.add('INTERNAL', '10.0.0.3');
    expect(limits.exceeded('CLIENTS')).toBe(true); // a connection of another listener must go
    expect(limits.exceeded('INTERNAL')).toBe(false);
    limits.remove('CLIENTS', '10.0.0.2');
    expect(limits.exceeded('EXTERNAL')).toBe(false);
  });

  it('creation rates: broker-wide (not on the protected listener) and per listener, the longer throttle, at most one sample; an ip-throttled connection is taken back out', () => {
    const limits = new ConnectionLimits(settings({ maxConnectionCreationRate: 1, listeners: new Map([['EXTERNAL', { maxConnections: UNLIMITED, maxConnectionCreationRate: 1 }]]), protectedListener: 'INTERNAL' }));
    // 1/s over Kafka's 10 s minimum window: 10 at once are within it, the 11th waits.
    for (let i = 0; i < 10; i++) expect(limits.recordCreation('CLIENTS', 0)).toBe(0);
    expect(limits.recordCreation('CLIENTS', 0)).toBe(1000);
    for (let i = 0; i < 20; i++) expect(limits.recordCreation('INTERNAL', 0)).toBe(0); // protected
    limits.unrecordCreation('CLIENTS', 0);
    limits.unrecordCreation('CLIENTS', 0);
    expect(limits.recordCreation('CLIENTS', 0)).toBe(0); // back at 10
    // EXTERNAL counts against both; the broker's rate is already at its bound.
    expect(limits.recordCreation('EXTERNAL', 0)).toBe(1000);
  });

  it('parses max.connections.per.ip.overrides as Kafka (host:count, IPv6 literals, spaces)', () => {
    expect(parsePerIpOverrides('')).toEqual({ ok: true, overrides: [] });
    expect(parsePerIpOverrides('127.0.0.3:2, db.example : 5,::1:7')).toEqual({ ok: true, overrides: [['127.0.0.3', 2], ['db.example', 5], ['::1', 7]] });
    expect(parsePerIpOverrides('127.0.0.3').ok).toBe(false);
    expect(parsePerIpOverrides('127.0.0.3:x').ok).toBe(false);
  });

  it('reads the settings: overrides resolved (a name that does not resolve stops the start), per-listener limits, the inter-broker listener protected only among several', async () => {
    const resolve = async (host: string) => {
      if (isIP(host)) return host;
      if (host === 'db.example') return '10.0.0.9';
      throw new Error('ENOTFOUND');
    };
    const args = (...set: string[]) => parseArgs(['--data-dir', '/tmp/x', '--listeners', 'PLAINTEXT://127.0.0.1:1,SASL_PLAINTEXT://127.0.0.1:2', ...set.flatMap((s) => ['--set', s])]);
    const read = await connectionLimitSettings(args('max.connections.per.ip.overrides=db.example:5,127.0.0.3:2', 'listener.name.sasl_plaintext.max.connections=3', 'max.connections=100'), resolve);
    expect([...read.perIpOverrides]).toEqual([['10.0.0.9', 5], ['127.0.0.3', 2]]);
    expect(read.listeners.get('SASL_PLAINTEXT')).toEqual({ maxConnections: 3, maxConnectionCreationRate: UNLIMITED });
    expect(read.listeners.has('PLAINTEXT')).toBe(false);
    expect(read.maxConnections).toBe(100);
    expect(read.protectedListener).toBe('PLAINTEXT');
    await expect(connectionLimitSettings(args('max.connections.per.ip.overrides=nowhere.invalid:1'), resolve)).rejects.toBeInstanceOf(ConfigError);
    await expect(connectionLimitSettings(args('max.connections.per.ip=0'), resolve)).rejects.toBeInstanceOf(ConfigError);
    expect(() => args('listener.name.sasl_plaintext.max.connections=-1')).toThrow(ConfigError);
    expect(() => args('listener.name.sasl_plaintext.max.connection.timeout=1')).toThrow(ConfigError);
    const single = await connectionLimitSettings(parseArgs(['--data-dir', '/tmp/x']), resolve);
    expect(single.protectedListener).toBeNull();
  });
});
