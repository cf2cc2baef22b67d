import { SPEC_API_VERSION, type SpecFile } from './format.ts';
import { isSystemLabel, type ActualInstance } from './model.ts';

const userLabels = (labels: Record<string, string>) => Object.fromEntries(Object.entries(labels).filter(([k]) => !isSystemLabel(k)));
const defined = <T extends Record<string, unknown>>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null)) as T;
const byName = <T>(key: (x: T) => string) => (a: T, b: T) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);

/** The environment variable an exported user's password is referenced by (the value is never known). */
export const passwordEnvFor = (user: string) => `TRIBUTARY_PASSWORD_${user.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;

/**
 * A spec file describing instances as they are, so that planning it against the same API is a
 * no-op. Pure: the console's "export as spec" uses it too. Passwords become references to an
 * environment variable named after the user (the API never returns a password).
 */
export function exportSpec(stack: string, instances: ActualInstance[]): SpecFile {
  return {
    apiVersion: SPEC_API_VERSION,
    stack,
    instances: [...instances].sort(byName((i) => i.name)).map((inst) => {
      const labels = userLabels(inst.labels);
      return {
        name: inst.name,
        ...(Object.keys(labels).length ? { labels } : {}),
        spec: { ...inst.spec, billing: defined(inst.spec.billing), brokerConfig: inst.spec.brokerConfig ?? {} },
        topics: [...inst.topics].sort(byName((t) => t.name)).map((t) => {
          const tl = userLabels(t.labels);
          return { name: t.name, partitions: t.partitions, replicationFactor: t.replicationFactor, ...(Object.keys(t.configs).length ? { configs: t.configs } : {}), ...(Object.keys(tl).length ? { labels: tl } : {}) };
        }),
        users: [...inst.users].sort(byName((u) => u.name)).map((u) => ({
          name: u.name, password: { env: passwordEnvFor(u.name) }, mechanism: u.mechanism as 'SCRAM-SHA-256' | 'SCRAM-SHA-512', iterations: u.iterations,
        })),
        acls: inst.acls.map((a) => ({
          resourceType: a.resourceType, resourceName: a.resourceName, patternType: a.patternType, principal: a.principal, host: a.host, operation: a.operation, permissionType: a.permissionType,
        }) as SpecFile['instances'][number]['acls'][number]),
        clientQuotas: inst.clientQuotas.map((q) => defined({ user: q.user ?? undefined, clientId: q.clientId ?? undefined, producerByteRate: q.producerByteRate ?? undefined, consumerByteRate: q.consumerByteRate ?? undefined, requestPercentage: q.requestPercentage ?? undefined })),
        consumerGroupQuotas: inst.groupQuotas.sort(byName((q) => q.group)).map((q) => defined({ group: q.group, maxMembers: q.maxMembers ?? undefined, consumerByteRate: q.consumerByteRate ?? undefined })),
      };
    }),
  };
}
