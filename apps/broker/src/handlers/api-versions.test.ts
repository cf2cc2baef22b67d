import { describe, expect, it } from 'vitest';
import { ErrorCode } from '@tributary/protocol';
import type { BrokerContext, RequestSession } from './context.ts';
import type { ApiRequest } from './api-module.ts';
import { apiVersionsApi, validSoftwareNameAndVersion } from './api-versions.ts';
import { defaultFeatureLevels } from '../cluster/features.ts';

describe('ApiVersions client software name and version (KIP-511)', () => {
  it('accepts what Kafka accepts and nothing else, from v3 on', () => {
    for (const ok of ['librdkafka', 'apache-kafka-java', '4.4.0', 'a', 'x.y-z9']) expect(validSoftwareNameAndVersion(3, { clientSoftwareName: ok, clientSoftwareVersion: '1' })).toBe(true);
    for (const bad of ['', '!!bad name', '-leading', 'trailing.', 'sp ace', 'under_score']) expect(validSoftwareNameAndVersion(3, { clientSoftwareName: bad, clientSoftwareVersion: '1' }), bad).toBe(false);
    expect(validSoftwareNameAndVersion(4, { clientSoftwareName: 'ok', clientSoftwareVersion: '1.0-' })).toBe(false);
    // v0–2 carry no name: nothing to check.
    expect(validSoftwareNameAndVersion(2, { clientSoftwareName: '', clientSoftwareVersion: '' })).toBe(true);
  });

  it('answers an invalid one with INVALID_REQUEST and no API keys, as Kafka does', () => {
    const table = new Map([[18, { minVersion: 0, maxVersion: 4, handle: () => undefined }]]);
    const module = apiVersionsApi(table);
    // ApiVersions reads only the cluster's finalized features and nothing of the session: stand-ins are enough.
    const ctx = { cluster: { finalizedFeatures: () => ({ levels: defaultFeatureLevels(2), epoch: 1n }) } } as unknown as BrokerContext;
    const handle = (apiVersion: number, body: Pick<ApiRequest<'ApiVersions'>['body'], 'clientSoftwareName' | 'clientSoftwareVersion'>) => module.handle(ctx, { apiVersion, body } as ApiRequest<'ApiVersions'>, {} as RequestSession);
    expect(handle(3, { clientSoftwareName: '!!bad name', clientSoftwareVersion: '1' })).toEqual({ errorCode: ErrorCode.INVALID_REQUEST, apiKeys: [], throttleTimeMs: 0 });
    expect(handle(3, { clientSoftwareName: 'good', clientSoftwareVersion: '1' })).toMatchObject({ errorCode: 0, apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 4 }] });
  });

  it('answers the levels the cluster finalized, leaving out features at 0, and every supported range (v3+)', () => {
    const table = new Map([[18, { minVersion: 0, maxVersion: 4, handle: () => undefined }]]);
    const module = apiVersionsApi(table);
    const at = (levels: Record<string, number>, apiVersion: number) =>
      module.handle({ cluster: { finalizedFeatures: () => ({ levels, epoch: 7n }) } } as unknown as BrokerContext, { apiVersion, body: { clientSoftwareName: 'c', clientSoftwareVersion: '1' } } as ApiRequest<'ApiVersions'>, {} as RequestSession);
    const supported = [{ name: 'eligible.leader.replicas.version', minVersion: 0, maxVersion: 1 }, { name: 'group.version', minVersion: 0, maxVersion: 1 }, { name: 'transaction.version', minVersion: 0, maxVersion: 2 }];
    const newCluster = defaultFeatureLevels(2);
    expect(at(newCluster, 3)).toMatchObject({ supportedFeatures: supported, finalizedFeaturesEpoch: 7n, finalizedFeatures: [{ name: 'eligible.leader.replicas.version', maxVersionLevel: 1, minVersionLevel: 1 }, { name: 'group.version', maxVersionLevel: 1, minVersionLevel: 1 }, { name: 'transaction.version', maxVersionLevel: 2, minVersionLevel: 2 }] });
    // tributary.transaction.version=1: transaction.version not listed, as before; ELR downgraded to 0: not listed (Kafka 4.4 answers so).
    expect(at({ ...defaultFeatureLevels(1), 'eligible.leader.replicas.version': 0 }, 3)).toMatchObject({ supportedFeatures: supported, finalizedFeatures: [{ name: 'group.version', maxVersionLevel: 1, minVersionLevel: 1 }] });
    expect(at(newCluster, 2)).not.toHaveProperty('finalizedFeatures');
  });
});
