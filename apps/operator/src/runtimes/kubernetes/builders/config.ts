import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { ISecret } from 'kubernetes-models/v1/Secret';
import { instanceNames } from '../naming.ts';
import type { KubeClusterSpec, OwnerRef } from '../spec.ts';
import { ownedMetadata } from './metadata.ts';

export const SERVER_PROPERTIES = 'server.properties';

/**
 * server.properties, keys sorted so that equal settings always render the same bytes. Values are
 * written verbatim: the broker reads a Java-properties subset without escapes (it trims each line),
 * which is why checkSpec refuses values with surrounding whitespace or line breaks.
 */
export function renderServerProperties(settings: Record<string, string>): string {
  const lines = Object.keys(settings)
    .sort()
    .map((k) => `${k}=${settings[k]!}`);
  return `# Written by tributary-operator; edits are overwritten on the next reconcile.\n${lines.join('\n')}\n`;
}

export function buildBrokerConfigMap(spec: KubeClusterSpec, owner: OwnerRef): IConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: ownedMetadata(spec, owner, instanceNames(spec).config, 'broker-config'),
    data: { [SERVER_PROPERTIES]: renderServerProperties(spec.brokerConfig) },
  };
}

export const ADMIN_USER_KEY = 'admin-username';
export const ADMIN_PASSWORD_KEY = 'admin-password';

/** Credentials stay out of the ConfigMap; `stringData` lets the API server do the base64. */
export function buildSecret(spec: KubeClusterSpec, owner: OwnerRef): ISecret {
  const creds = spec.adminCredentials;
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: ownedMetadata(spec, owner, instanceNames(spec).secret, 'credentials'),
    stringData: creds ? { [ADMIN_USER_KEY]: creds.username, [ADMIN_PASSWORD_KEY]: creds.password } : {},
  };
}
