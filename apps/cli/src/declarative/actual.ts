import { STACK_LABEL, type ActualInstance, type ActualState } from '@tributary/spec';
import { allPages, type Api, type Schemas } from '../client.ts';

type Instance = Schemas['Instance'];

/** Everything under one instance the diff needs (topics, users, ACLs, quotas), read through the API. */
export async function readInstance(api: Api, inst: Instance): Promise<ActualInstance> {
  const id = inst.id;
  const page = <T>(path: '/v1/instances/{id}/topics' | '/v1/instances/{id}/users' | '/v1/instances/{id}/acls' | '/v1/instances/{id}/client-quotas' | '/v1/instances/{id}/consumer-group-quotas') =>
    allPages<T>((cursor) => api.GET(path, { params: { path: { id }, query: { limit: 200, ...(cursor ? { cursor } : {}) } } }) as never);
  const [topics, users, acls, clientQuotas, groupQuotas] = await Promise.all([
    page<Schemas['Topic']>('/v1/instances/{id}/topics'), page<Schemas['KafkaUser']>('/v1/instances/{id}/users'), page<Schemas['Acl']>('/v1/instances/{id}/acls'),
    page<Schemas['ClientQuota']>('/v1/instances/{id}/client-quotas'), page<Schemas['ConsumerGroupQuota']>('/v1/instances/{id}/consumer-group-quotas'),
  ]);
  return {
    id, name: inst.name, etag: inst.etag, labels: inst.labels, spec: inst.spec as ActualInstance['spec'], phase: inst.status.phase,
    // A topic being deleted is gone as far as the desired state goes.
    topics: topics.filter((t) => t.status.phase !== 'Deleting').map((t) => ({ name: t.name, etag: t.etag, partitions: t.partitions, replicationFactor: t.replicationFactor, configs: t.configs, labels: t.labels })),
    users: users.map((u) => ({ id: u.id, etag: u.etag, name: u.name, mechanism: u.mechanism, iterations: u.iterations, labels: u.labels })),
    acls: acls.map((a) => ({ id: a.id, etag: a.etag, resourceType: a.resourceType, resourceName: a.resourceName, patternType: a.patternType, principal: a.principal, host: a.host, operation: a.operation, permissionType: a.permissionType, labels: a.labels })),
    clientQuotas: clientQuotas.map((q) => ({ id: q.id, etag: q.etag, user: q.user, clientId: q.clientId, producerByteRate: q.producerByteRate, consumerByteRate: q.consumerByteRate, requestPercentage: q.requestPercentage, labels: q.labels })),
    groupQuotas: groupQuotas.map((q) => ({ id: q.id, etag: q.etag, group: q.group, maxMembers: q.maxMembers, consumerByteRate: q.consumerByteRate, labels: q.labels })),
  };
}

/**
 * The actual state for a stack: every instance of the account by name (to see conflicts), and the
 * contents of those the stack owns or declares. No state file: this is read fresh every time.
 */
export async function readActual(api: Api, stack: string, declaredNames: string[]): Promise<ActualState> {
  const all = (await allPages((cursor) => api.GET('/v1/instances', { params: { query: { limit: 200, ...(cursor ? { cursor } : {}) } } })))
    .filter((i) => i.status.phase !== 'Deleting');
  const wanted = all.filter((i) => i.labels[STACK_LABEL] === stack || declaredNames.includes(i.name));
  const instances = await Promise.all(wanted.map((i) => (i.labels[STACK_LABEL] === stack ? readInstance(api, i) : shallow(i))));
  return { instances };
}

/** An instance the stack does not own: only what the conflict message needs. */
function shallow(i: Instance): ActualInstance {
  return { id: i.id, name: i.name, etag: i.etag, labels: i.labels, spec: i.spec as ActualInstance['spec'], phase: i.status.phase, topics: [], users: [], acls: [], clientQuotas: [], groupQuotas: [] };
}
