import { configValueProblem } from './config-validation.ts';
import { KAFKA_CLIENT_METRICS_CONFIGS, type KafkaConfigDef } from '../generated/kafka-configs.ts';

/**
 * Client metrics subscriptions (KIP-714's `CLIENT_METRICS` config resource: `metrics`, `interval.ms`,
 * `match`): Kafka's names, types, defaults and validation (ClientMetricsConfigs.validate). They are
 * stored (cluster-wide in a cluster), described and listed (ListConfigResources), so kafka-configs
 * and kafka-client-metrics manage them as on Kafka. Clients are not sent them: this broker, like a
 * Kafka broker without a telemetry receiver plugin, does not advertise GetTelemetrySubscriptions or
 * PushTelemetry, so clients never push metrics to it.
 */
export const CLIENT_METRICS_CONFIG_DEFS: Record<string, KafkaConfigDef> = KAFKA_CLIENT_METRICS_CONFIGS;

/** What a `match` entry may select on (Kafka's ClientMetricsConfigs.ALLOWED_MATCH_PARAMS). */
const MATCH_SELECTORS = new Set(['client_instance_id', 'client_id', 'client_software_name', 'client_software_version', 'client_source_address', 'client_source_port']);

/** Push intervals Kafka allows: 100 ms to one hour. */
const INTERVAL_MS = { min: 100, max: 3_600_000 };

/** A refused subscription: `errorCode` is what Kafka answers for it (INVALID_REQUEST or INVALID_CONFIG). */
export class ClientMetricsConfigError extends Error {
  readonly kind: 'request' | 'config';
  constructor(kind: 'request' | 'config', message: string) {
    super(message);
    this.kind = kind;
  }
}

/** Throws ClientMetricsConfigError as Kafka refuses a subscription's resulting configs. */
export function validateClientMetricsConfigs(name: string, configs: Record<string, string>): void {
  if (name === '') throw new ClientMetricsConfigError('request', "Subscription name can't be empty");
  for (const [key, value] of Object.entries(configs)) {
    const def = CLIENT_METRICS_CONFIG_DEFS[key];
    if (!def) throw new ClientMetricsConfigError('request', `Unknown client metrics configuration: ${key}`);
    const problem = configValueProblem(key, def, value);
    if (problem) throw new ClientMetricsConfigError('config', problem);
  }
  const interval = configs['interval.ms'];
  if (interval !== undefined && (Number(interval) < INTERVAL_MS.min || Number(interval) > INTERVAL_MS.max)) {
    throw new ClientMetricsConfigError('request', `Invalid value ${interval} for interval.ms, interval must be between 100 and 3600000 (1 hour)`);
  }
  for (const pattern of (configs.match ?? '').split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const at = pattern.indexOf('=');
    const selector = at > 0 ? pattern.slice(0, at).trim() : '';
    if (!MATCH_SELECTORS.has(selector) || at === pattern.length - 1) throw new ClientMetricsConfigError('config', `Illegal client matching pattern: ${pattern}`);
    try {
      new RegExp(pattern.slice(at + 1).trim());
    } catch {
      throw new ClientMetricsConfigError('config', `Illegal regex pattern: ${pattern.slice(at + 1).trim()}`);
    }
  }
}
