import { describe, expect, it } from 'vitest';
import { ClientMetricsConfigError, validateClientMetricsConfigs } from './client-metrics-configs.ts';

/** The kind and message a subscription's configs are refused with, or null when they pass. */
function refusal(name: string, configs: Record<string, string>): [string, string] | null {
  try {
    validateClientMetricsConfigs(name, configs);
    return null;
  } catch (err) {
    if (err instanceof ClientMetricsConfigError) return [err.kind, err.message];
    throw err;
  }
}

describe('client metrics subscription configs (Kafka ClientMetricsConfigs.validate)', () => {
  it('accepts what kafka-client-metrics writes', () => {
    expect(refusal('producers', { metrics: 'org.apache.kafka.producer.,org.apache.kafka.consumer.coordinator.', 'interval.ms': '1000', match: 'client_id=app-.*,client_software_name=apache-kafka-java' })).toBeNull();
    expect(refusal('all', { metrics: '*', 'interval.ms': '100' })).toBeNull();
    expect(refusal('hourly', { 'interval.ms': '3600000', match: '' })).toBeNull();
  });

  it('refuses an empty name and unknown configs as invalid requests', () => {
    expect(refusal('', { metrics: '*' })).toEqual(['request', "Subscription name can't be empty"]);
    expect(refusal('s', { 'no.such': '1' })).toEqual(['request', 'Unknown client metrics configuration: no.such']);
  });

  it('keeps the push interval between 100 ms and one hour', () => {
    expect(refusal('s', { 'interval.ms': '99' })?.[0]).toBe('request');
    expect(refusal('s', { 'interval.ms': '3600001' })?.[0]).toBe('request');
    expect(refusal('s', { 'interval.ms': 'often' })?.[0]).toBe('config');
  });

  it('allows only Kafka\'s match selectors, each with a valid regular expression', () => {
    expect(refusal('s', { match: 'colour=blue' })).toEqual(['config', 'Illegal client matching pattern: colour=blue']);
    expect(refusal('s', { match: 'client_id' })?.[0]).toBe('config');
    expect(refusal('s', { match: 'client_id=' })?.[0]).toBe('config');
    expect(refusal('s', { match: 'client_id=[' })).toEqual(['config', 'Illegal regex pattern: [']);
    expect(refusal('s', { match: 'client_source_port=90.*, client_instance_id=abc' })).toBeNull();
  });
});
