import { ConfigError, interBrokerListenerName, listenerSetting, settingNumber, type BrokerConfig } from '../config/broker-config.ts';
import { normaliseAddress, parsePerIpOverrides, UNLIMITED, type ConnectionLimitSettings, type ListenerLimits } from './connection-limits.ts';
import { resolveHost } from './resolve-host.ts';

/**
 * The connection limits of a broker's settings, as Kafka's ConnectionQuotas reads them: host names
 * in `max.connections.per.ip.overrides` are resolved once, at start (a name that does not resolve
 * stops the broker, as Kafka's UnknownHostException does); the inter-broker listener is protected
 * from the broker-wide limits only when the broker has more than one listener.
 */
export async function connectionLimitSettings(config: BrokerConfig, resolve: (host: string) => Promise<string> = resolveHost): Promise<ConnectionLimitSettings> {
  const parsed = parsePerIpOverrides(config.settings['max.connections.per.ip.overrides']);
  if (!parsed.ok) throw new ConfigError('max.connections.per.ip.overrides', parsed.reason);
  // Kafka's KafkaConfig check: with no connection allowed per address, some address must be allowed some.
  if (settingNumber(config, 'max.connections.per.ip') === 0 && parsed.overrides.length === 0) throw new ConfigError('max.connections.per.ip', 'can be set to zero only if max.connections.per.ip.overrides is set');
  const perIpOverrides = new Map<string, number>();
  for (const [host, count] of parsed.overrides) {
    const address = await resolve(host).catch((e: Error) => {
      throw new ConfigError('max.connections.per.ip.overrides', `${host} does not resolve (${e.message})`);
    });
    perIpOverrides.set(normaliseAddress(address), count);
  }
  const listeners = new Map<string, ListenerLimits>();
  for (const l of config.listeners) {
    const maxConnections = listenerSetting(config, l.name, 'max.connections');
    const maxConnectionCreationRate = listenerSetting(config, l.name, 'max.connection.creation.rate');
    if (maxConnections !== undefined || maxConnectionCreationRate !== undefined) listeners.set(l.name, { maxConnections: maxConnections ?? UNLIMITED, maxConnectionCreationRate: maxConnectionCreationRate ?? UNLIMITED });
  }
  return {
    maxConnections: settingNumber(config, 'max.connections'),
    maxConnectionsPerIp: settingNumber(config, 'max.connections.per.ip'),
    perIpOverrides,
    maxConnectionCreationRate: settingNumber(config, 'max.connection.creation.rate'),
    listeners,
    protectedListener: config.listeners.length > 1 ? interBrokerListenerName(config) : null,
    samples: settingNumber(config, 'quota.window.num'),
    sampleMs: settingNumber(config, 'quota.window.size.seconds') * 1000,
  };
}
