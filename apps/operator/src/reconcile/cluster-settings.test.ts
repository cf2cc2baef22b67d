import { describe, expect, it } from 'vitest';
import { clusterSettings } from './cluster-settings.ts';

describe('clusterSettings', () => {
  it('derives replication defaults from the instance size, capped at 3 replicas', () => {
    expect(clusterSettings(1, {})).toEqual({ 'default.replication.factor': '1', 'min.insync.replicas': '1', 'transaction.state.log.min.isr': '1', 'offsets.topic.replication.factor': '1', 'transaction.state.log.replication.factor': '1' });
    expect(clusterSettings(2, {})).toEqual({ 'default.replication.factor': '2', 'min.insync.replicas': '1', 'transaction.state.log.min.isr': '1', 'offsets.topic.replication.factor': '2', 'transaction.state.log.replication.factor': '2' });
    expect(clusterSettings(3, {})).toEqual({ 'default.replication.factor': '3', 'min.insync.replicas': '2', 'transaction.state.log.min.isr': '2', 'offsets.topic.replication.factor': '3', 'transaction.state.log.replication.factor': '3' });
    expect(clusterSettings(7, {})).toEqual({ 'default.replication.factor': '3', 'min.insync.replicas': '2', 'transaction.state.log.min.isr': '2', 'offsets.topic.replication.factor': '3', 'transaction.state.log.replication.factor': '3' });
  });

  it('keeps the user overrides, except the internal topics\' replication the coordinators depend on', () => {
    const s = clusterSettings(5, { 'default.replication.factor': '5', 'min.insync.replicas': '3', 'log.retention.ms': '1000', 'offsets.topic.replication.factor': '9', 'transaction.state.log.replication.factor': '9' });
    expect(s).toEqual({ 'default.replication.factor': '5', 'min.insync.replicas': '3', 'transaction.state.log.min.isr': '2', 'log.retention.ms': '1000', 'offsets.topic.replication.factor': '3', 'transaction.state.log.replication.factor': '3' });
  });
});
