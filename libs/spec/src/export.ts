import { SPEC_API_VERSION, type SpecFile } from './format.ts';
import { isSystemLabel, STACK_LABEL, type ActualInstance } from './model.ts';

const userLabels = (labels: Record<string, string>) => Object.fromEntries(Object.entries(labels).filter(([k]) => !isSystemLabel(k)));
const defined = <T extends Record<string, unknown>>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null)) as T;
const byName = <T>(key: (x: T) => string) => (a: T, b: T) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
/** A resource's own labels, as the `labels` field of its declaration (absent when it has none). */
const labelsOf = (labels: Record<string, string>) => { const l = userLabels(labels); return Object.keys(l).length ? { labels: l } : {}; };

/** The environment variable an exported user's password is referenced by (the value is never known). */
export const passwordEnvFor = (user: string) => `TRIBUTARY_PASSWORD_${user.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;

/**
 * A spec file describing instances as they are, so that planning it against the same API is a
 * no-op. Pure: the console's "export as spec" uses it too. Passwords become references to an
 * environment variable named after the user (the API never returns a password). Within an
 * instance only what carries the stack's label is the stack's, so only that is written (what
 * applications made there stays theirs; `tributary import` adopts it).
 */
export function exportSpec(stack: string, instances: ActualInstance[]): SpecFile {
  const mine = (x: { labels: Record<string, string> }) => x.labels[STACK_LABEL] === stack;
  return {
    apiVersion: SPEC_API_VERSION,
    stack,
    instances: [...instances].sort(byName((i) => i.name)).map((inst) => {
      const labels = userLabels(inst.labels);
      return {
        name: inst.name,
        ...(Object.keys(labels).length ? { labels } : {}),
        spec: { ...inst.spec, billing: defined(inst.spec.billing), brokerConfig: inst.spec.brokerConfig ?? {} },
        topics: inst.topics.filter(mine).sort(byName((t) => t.name)).map((t) => (
          { name: t.name, partitions: t.partitions, replicationFactor: t.replicationFactor, ...(Object.keys(t.configs).length ? { configs: t.configs } : {}), ...labelsOf(t.labels) })),
        users: inst.users.filter(mine).sort(byName((u) => u.name)).map((u) => ({
          name: u.name, password: { env: passwordEnvFor(u.name) }, mechanism: u.mechanism as 'SCRAM-SHA-256' | 'SCRAM-SHA-512', iterations: u.iterations, ...labelsOf(u.labels),
        })),
        acls: inst.acls.filter(mine).map((a) => ({
          resourceType: a.resourceType, resourceName: a.resourceName, patternType: a.patternType, principal: a.principal, host: a.host, operation: a.operation, permissionType: a.permissionType, ...labelsOf(a.labels),
        }) as SpecFile['instances'][number]['acls'][number]),
        clientQuotas: inst.clientQuotas.filter(mine).map((q) => ({ ...defined({ user: q.user ?? undefined, clientId: q.clientId ?? undefined, producerByteRate: q.producerByteRate ?? undefined, consumerByteRate: q.consumerByteRate ?? undefined, requestPercentage: q.requestPercentage ?? undefined }), ...labelsOf(q.labels) })),
        consumerGroupQuotas: inst.groupQuotas.filter(mine).sort(byName((q) => q.group)).map((q) => ({ ...defined({ group: q.group, maxMembers: q.maxMembers ?? undefined, consumerByteRate: q.consumerByteRate ?? undefined }), ...labelsOf(q.labels) })),
      };
    }),
  };
}
