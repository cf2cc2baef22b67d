import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  AclCreateSchema, AclListSchema, AclSchema, ClientQuotaCreateSchema, ClientQuotaListSchema, ClientQuotaSchema, ClientQuotaUpdateSchema, ConsumerGroupQuotaUpdateSchema,
  ConsumerGroupQuotaCreateSchema, ConsumerGroupQuotaListSchema, ConsumerGroupQuotaSchema, KafkaUserCreateSchema,
  KafkaUserListSchema, KafkaUserSchema, KafkaUserUpdateSchema, ListQuerySchema, ObjectLabelsUpdateSchema, acceptedOf,
} from '@tributary/contracts';
import { principalOf } from '../plugins/auth.ts';
import { notFound } from '../errors.ts';
import { etagOf, expectedVersion, withEtag } from '../http.ts';
import { scramCredential, type ScramCredential } from '../scram.ts';
import { SEALED_COLUMNS, type SecretBox } from '@tributary/db';
import type { InstanceRow, ObjectKind, ObjectRow, Store } from '../store/types.ts';
import { ONE_ERRORS, READ_ERRORS, WRITE_ERRORS } from './responses.ts';

const meta = (o: ObjectRow) => ({
  id: o.id, instanceId: o.instanceId, createdAt: o.createdAt.toISOString(), updatedAt: o.updatedAt.toISOString(), etag: etagOf(o.id, o.version), labels: o.labels,
});
const str = (v: unknown) => (typeof v === 'string' ? v : null);
const num = (v: unknown) => (typeof v === 'number' ? v : null);

/** The stored credential never leaves the database: only name, mechanism and iterations are shown. */
const presentUser = (o: ObjectRow) => ({ ...meta(o), name: o.name, mechanism: String(o.data['mechanism']), iterations: Number(o.data['iterations']) });
const presentAcl = (o: ObjectRow) => ({
  ...meta(o), resourceType: String(o.data['resourceType']), resourceName: String(o.data['resourceName']), patternType: String(o.data['patternType']),
  principal: String(o.data['principal']), host: String(o.data['host']), operation: String(o.data['operation']), permissionType: String(o.data['permissionType']),
});
const presentClientQuota = (o: ObjectRow) => ({
  ...meta(o), user: str(o.data['user']), clientId: str(o.data['clientId']), producerByteRate: num(o.data['producerByteRate']),
  consumerByteRate: num(o.data['consumerByteRate']), requestPercentage: num(o.data['requestPercentage']),
});
const presentGroupQuota = (o: ObjectRow) => ({ ...meta(o), group: o.name, maxMembers: num(o.data['maxMembers']), consumerByteRate: num(o.data['consumerByteRate']) });

const Params = z.strictObject({ id: z.string().min(1).max(64) });
const KeyParams = Params.extend({ key: z.string().min(1).max(300) });

export const instanceObjectRoutes: FastifyPluginAsyncZod<{ store: Store; secrets: SecretBox }> = async (app, { store, secrets }) => {
  /** The salted password is a password equivalent: sealed before it reaches the store (libs/db SecretBox). */
  const sealed = (cred: ScramCredential) => ({ ...cred, saltedPassword: secrets.seal(cred.saltedPassword, SEALED_COLUMNS.kafkaUserSaltedPassword) });
  async function instanceOf(request: FastifyRequest, id: string): Promise<InstanceRow> {
    const instance = await store.getInstance(principalOf(request).accountId, id);
    if (!instance || instance.phase === 'Deleting') throw notFound('instance');
    return instance;
  }
  async function objectOf(request: FastifyRequest, params: { id: string; key: string }, kind: ObjectKind, what: string) {
    const instance = await instanceOf(request, params.id);
    const o = await store.getObject(instance.id, kind, params.key);
    if (!o) throw notFound(what);
    return o;
  }

  /** GET list, GET one, DELETE one for a kind; create/update differ per kind and are added below. */
  function common(kind: ObjectKind, what: string, tag: string, schema: z.ZodType, list: z.ZodType, present: (o: ObjectRow) => { etag: string }) {
    const base = `/v1/instances/:id/${kind}`;
    const Accepted = acceptedOf(schema, `${String(schema.meta()?.['id'] ?? what)}Accepted`);
    app.get(base, { schema: { summary: `List ${what}s`, tags: [tag], params: Params, querystring: ListQuerySchema, response: { 200: list, ...READ_ERRORS } } }, async (request) => {
      const instance = await instanceOf(request, request.params.id);
      const page = await store.listObjects(instance.id, kind, request.query);
      return { items: page.items.map(present), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) } as never;
    });
    app.get(`${base}/:key`, { schema: { summary: `Get a ${what} (by name or id)`, tags: [tag], params: KeyParams, response: { 200: schema, ...ONE_ERRORS } } }, async (request, reply) =>
      withEtag(reply, present(await objectOf(request, request.params, kind, what))) as never);
    app.delete(`${base}/:key`, { schema: { summary: `Delete a ${what}`, tags: [tag], params: KeyParams, response: { 202: Accepted, ...WRITE_ERRORS } } }, async (request, reply) => {
      const o = await objectOf(request, request.params, kind, what);
      const { object, operation } = await store.deleteObject(principalOf(request), o, expectedVersion(request, o.id));
      reply.code(202);
      return { resource: present(object), operation } as never;
    });
    app.patch(`${base}/:key`, {
      schema: { summary: `Replace a ${what}'s labels (If-Match honoured; nothing changes on the brokers, so 200 and no operation)`, tags: [tag], params: KeyParams, body: ObjectLabelsUpdateSchema, response: { 200: schema, ...WRITE_ERRORS } },
    }, async (request, reply) => {
      const o = await objectOf(request, request.params, kind, what);
      const object = await store.relabelObject(principalOf(request), o, request.body.labels, expectedVersion(request, o.id));
      return withEtag(reply, present(object)) as never;
    });
    return Accepted;
  }
  async function created(request: FastifyRequest, reply: FastifyReply, instance: InstanceRow, kind: ObjectKind, name: string, data: Record<string, unknown>, labels: Record<string, string> | undefined, present: (o: ObjectRow) => unknown) {
    const { object, operation } = await store.createObject(principalOf(request), instance, kind, name, data, labels ?? {});
    reply.code(202).header('etag', etagOf(object.id, object.version)).header('location', `/v1/instances/${instance.id}/${kind}/${encodeURIComponent(object.id)}`);
    return { resource: present(object) as never, operation };
  }

  /** PUT of an object: If-Match honoured, the data replaced (labels when given), the instance's objects reconciled. */
  async function updated(request: FastifyRequest, reply: FastifyReply, o: ObjectRow, data: Record<string, unknown>, labels: Record<string, string> | undefined, present: (o: ObjectRow) => { etag: string }) {
    const version = expectedVersion(request, o.id);
    const { object, operation } = await store.updateObject(principalOf(request), o, data, version, labels);
    reply.code(202).header('etag', etagOf(object.id, object.version));
    return { resource: present(object) as never, operation };
  }

  const UserAccepted = common('users', 'SCRAM user', 'users', KafkaUserSchema, KafkaUserListSchema, presentUser);
  app.post('/v1/instances/:id/users', {
    schema: { summary: 'Create a SCRAM user (the password is hashed, never stored)', tags: ['users'], params: Params, body: KafkaUserCreateSchema, response: { 202: UserAccepted, ...WRITE_ERRORS } },
  }, async (request, reply) => {
    const instance = await instanceOf(request, request.params.id);
    const { name, password, mechanism, iterations, labels } = request.body;
    return created(request, reply, instance, 'users', name, sealed(scramCredential(password, mechanism, iterations)), labels, presentUser);
  });
  app.put('/v1/instances/:id/users/:key', {
    schema: { summary: 'Rotate a SCRAM user\'s password (its labels stay)', tags: ['users'], params: KeyParams, body: KafkaUserUpdateSchema, response: { 202: UserAccepted, ...WRITE_ERRORS } },
  }, async (request, reply) => {
    const o = await objectOf(request, request.params, 'users', 'SCRAM user');
    const version = expectedVersion(request, o.id);
    const cred = scramCredential(request.body.password, o.data['mechanism'] as 'SCRAM-SHA-256' | 'SCRAM-SHA-512', Number(o.data['iterations']));
    const { object, operation } = await store.updateObject(principalOf(request), o, sealed(cred), version);
    reply.code(202).header('etag', etagOf(object.id, object.version));
    return { resource: presentUser(object), operation };
  });

  const AclAccepted = common('acls', 'ACL', 'acls', AclSchema, AclListSchema, presentAcl);
  app.post('/v1/instances/:id/acls', {
    schema: { summary: 'Create an ACL binding', tags: ['acls'], params: Params, body: AclCreateSchema, response: { 202: AclAccepted, ...WRITE_ERRORS } },
  }, async (request, reply) => {
    const instance = await instanceOf(request, request.params.id);
    const { labels, ...a } = request.body;
    const name = [a.resourceType, a.patternType, a.resourceName, a.principal, a.host, a.operation, a.permissionType].join('|');
    return created(request, reply, instance, 'acls', name, a, labels, presentAcl);
  });

  const CqAccepted = common('client-quotas', 'client quota', 'quotas', ClientQuotaSchema, ClientQuotaListSchema, presentClientQuota);
  app.post('/v1/instances/:id/client-quotas', {
    schema: { summary: 'Set a client quota for a user and/or client id', tags: ['quotas'], params: Params, body: ClientQuotaCreateSchema, response: { 202: CqAccepted, ...WRITE_ERRORS } },
  }, async (request, reply) => {
    const instance = await instanceOf(request, request.params.id);
    const { labels, ...q } = request.body;
    return created(request, reply, instance, 'client-quotas', `user=${q.user ?? '<default>'};client-id=${q.clientId ?? '<default>'}`, q, labels, presentClientQuota);
  });

  app.put('/v1/instances/:id/client-quotas/:key', {
    schema: { summary: 'Replace a client quota\'s rates (its user and client id stay)', tags: ['quotas'], params: KeyParams, body: ClientQuotaUpdateSchema, response: { 202: CqAccepted, ...WRITE_ERRORS } },
  }, async (request, reply) => {
    const o = await objectOf(request, request.params, 'client-quotas', 'client quota');
    const { user, clientId } = o.data;
    const { labels, ...rates } = request.body;
    return updated(request, reply, o, { user, clientId, ...rates }, labels, presentClientQuota);
  });

  const GqAccepted = common('consumer-group-quotas', 'consumer-group quota', 'quotas', ConsumerGroupQuotaSchema, ConsumerGroupQuotaListSchema, presentGroupQuota);
  app.post('/v1/instances/:id/consumer-group-quotas', {
    schema: { summary: 'Create a consumer-group quota (counts against consumerGroupLimit)', tags: ['quotas'], params: Params, body: ConsumerGroupQuotaCreateSchema, response: { 202: GqAccepted, ...WRITE_ERRORS } },
  }, async (request, reply) => {
    const instance = await instanceOf(request, request.params.id);
    const { group, labels, ...rest } = request.body;
    return created(request, reply, instance, 'consumer-group-quotas', group, rest, labels, presentGroupQuota);
  });
  app.put('/v1/instances/:id/consumer-group-quotas/:key', {
    schema: { summary: 'Replace a consumer-group quota\'s limits (its group stays)', tags: ['quotas'], params: KeyParams, body: ConsumerGroupQuotaUpdateSchema, response: { 202: GqAccepted, ...WRITE_ERRORS } },
  }, async (request, reply) => {
    const o = await objectOf(request, request.params, 'consumer-group-quotas', 'consumer-group quota');
    const { labels, ...limits } = request.body;
    return updated(request, reply, o, limits, labels, presentGroupQuota);
  });
};
