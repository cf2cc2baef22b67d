import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveListenerSecurity } from '../security/listener-security.ts';
import { ConfigError, parseArgs } from './broker-config.ts';

const base = ['--data-dir', '/tmp/x'];

describe('broker configuration', () => {
  it('reads flags, a properties file and --set overrides by their Kafka names', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const file = join(dir, 'server.properties');
    writeFileSync(file, '# comment\nnum.partitions=3\nlog.retention.ms: 60000\n');
    const c = parseArgs(['--node-id', '7', '--listeners', 'PLAINTEXT://127.0.0.1:9999', '--advertised-listeners', 'PLAINTEXT://kafka.local:19092', '--config', file, '--set', 'num.partitions=5', ...base]);
    expect(c.nodeId).toBe(7);
    expect(c.listeners).toEqual([{ name: 'PLAINTEXT', host: '127.0.0.1', port: 9999 }]);
    expect(c.advertisedListeners).toEqual([{ name: 'PLAINTEXT', host: 'kafka.local', port: 19092 }]);
    expect(c.settings['num.partitions']).toBe('5');
    expect(c.settings['log.retention.ms']).toBe('60000');
    expect(c.settings['auto.create.topics.enable']).toBe('true');
    // Transaction version 2 unless chosen otherwise, as Apache Kafka 4.4 formats a new cluster.
    expect(c.settings['tributary.transaction.version']).toBe('2');
  });

  it.each([
    [['--set', 'num.partitionz=3'], 'num.partitionz: unknown setting'],
    [['--set', 'num.partitions=zero'], 'num.partitions: "zero" is not an integer'],
    [['--set', 'num.partitions=0'], 'num.partitions: 0 is below the minimum 1'],
    [['--set', 'tributary.transaction.version=3'], 'tributary.transaction.version: 3 is above the maximum 2'],
    [['--set', 'auto.create.topics.enable=yes'], 'auto.create.topics.enable: "yes" is not true or false'],
    [['--set', 'message.max.bytes=99999999999'], 'does not fit a 32-bit int'],
    [['--listeners', 'localhost:9092'], '--listeners: "localhost:9092" is not NAME://host:port'],
    [['--bogus', '1'], '--bogus: unknown flag'],
  ])('refuses %j with a message naming the key', (args, message) => {
    expect(() => parseArgs([...args, ...base])).toThrow(ConfigError);
    expect(() => parseArgs([...args, ...base])).toThrow(message);
  });

  it('requires a data directory', () => {
    expect(() => parseArgs([])).toThrow('--data-dir: is required');
  });

  it('trusts only named non-SASL listeners (tributary.trusted.listeners)', () => {
    const listeners = ['--listeners', 'INTERNAL://127.0.0.1:9990,CLIENT://127.0.0.1:9991', '--set', 'listener.security.protocol.map=INTERNAL:PLAINTEXT,CLIENT:SASL_PLAINTEXT'];
    expect(() => resolveListenerSecurity(parseArgs([...listeners, '--set', 'tributary.trusted.listeners=INTERNAL', ...base]))).not.toThrow();
    expect(() => resolveListenerSecurity(parseArgs([...listeners, '--set', 'tributary.trusted.listeners=CLIENT', ...base]))).toThrow('tributary.trusted.listeners: CLIENT is a SASL_PLAINTEXT listener');
    expect(() => resolveListenerSecurity(parseArgs([...listeners, '--set', 'tributary.trusted.listeners=OTHER', ...base]))).toThrow('tributary.trusted.listeners: OTHER is not one of the listeners');
  });
});
