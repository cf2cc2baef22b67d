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
    // ApiVersions reads neither the broker's state nor the session: empty stand-ins are enough.
    const handle = (apiVersion: number, body: Pick<ApiRequest<'ApiVersions'>['body'], 'clientSoftwareName' | 'clientSoftwareVersion'>) => module.handle({} as BrokerContext, { apiVersion, body } as ApiRequest<'ApiVersions'>, {} as RequestSession);
    expect(handle(3, { clientSoftwareName: '!!bad name', clientSoftwareVersion: '1' })).toEqual({ errorCode: ErrorCode.INVALID_REQUEST, apiKeys: [], throttleTimeMs: 0 });
    expect(handle(3, { clientSoftwareName: 'good', clientSoftwareVersion: '1' })).toMatchObject({ errorCode: 0, apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 4 }] });
  });
});
