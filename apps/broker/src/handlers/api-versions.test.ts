import { describe, expect, it } from 'vitest';
import { ErrorCode } from '@tributary/protocol';
import type { BrokerContext, RequestSession } from './context.ts';
import type { ApiRequest } from './api-module.ts';
import { apiVersionsApi, validSoftwareNameAndVersion } from './api-versions.ts';

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
    // ApiVersions reads only one setting of the broker and nothing of the session: stand-ins are enough.
    const ctx = { config: { settings: { 'tributary.transaction.version': '1' } } } as unknown as BrokerContext;
    const handle = (apiVersion: number, body: Pick<ApiRequest<'ApiVersions'>['body'], 'clientSoftwareName' | 'clientSoftwareVersion'>) => module.handle(ctx, { apiVersion, body } as ApiRequest<'ApiVersions'>, {} as RequestSession);
    expect(handle(3, { clientSoftwareName: '!!bad name', clientSoftwareVersion: '1' })).toEqual({ errorCode: ErrorCode.INVALID_REQUEST, apiKeys: [], throttleTimeMs: 0 });
    expect(handle(3, { clientSoftwareName: 'good', clientSoftwareVersion: '1' })).toMatchObject({ errorCode: 0, apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 4 }] });
  });

  it('finalizes group.version 1 and eligible.leader.replicas.version 1, and transaction.version 2 only when the broker is set to it (v3+)', () => {
    const table = new Map([[18, { minVersion: 0, maxVersion: 4, handle: () => undefined }]]);
    const module = apiVersionsApi(table);
    const at = (level: string, apiVersion: number) =>
      module.handle({ config: { settings: { 'tributary.transaction.version': level } } } as unknown as BrokerContext, { apiVersion, body: { clientSoftwareName: 'c', clientSoftwareVersion: '1' } } as ApiRequest<'ApiVersions'>, {} as RequestSession);
    const others = [{ name: 'eligible.leader.replicas.version', maxVersionLevel: 1, minVersionLevel: 1 }, { name: 'group.version', maxVersionLevel: 1, minVersionLevel: 1 }];
    expect(at('1', 3)).toMatchObject({ finalizedFeatures: others });
    expect(at('2', 3)).toMatchObject({ finalizedFeatures: [...others, { name: 'transaction.version', maxVersionLevel: 2, minVersionLevel: 2 }] });
    expect(at('2', 3)).toMatchObject({ supportedFeatures: [{ name: 'eligible.leader.replicas.version', minVersion: 0, maxVersion: 1 }, { name: 'group.version', minVersion: 0, maxVersion: 1 }, { name: 'transaction.version', minVersion: 0, maxVersion: 2 }] });
    expect(at('2', 2)).not.toHaveProperty('finalizedFeatures');
  });
});
