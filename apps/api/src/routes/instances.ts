import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import {
  InstanceCreateSchema, InstanceListSchema, InstanceSchema, InstanceUpdateSchema, ListQuerySchema, acceptedOf, immutableSpecChanges,
} from '@tributary/contracts';
import { principalOf } from '../plugins/auth.ts';
import { ApiError, notFound } from '../errors.ts';
import { expectedVersion } from '../http.ts';
import { presentInstance } from '../present.ts';
import type { InstanceRow, Store } from '../store/types.ts';
import { ONE_ERRORS, READ_ERRORS, WRITE_ERRORS } from './responses.ts';

const InstanceAccepted = acceptedOf(InstanceSchema, 'InstanceAccepted');
const IdParams = z.strictObject({ id: z.string().min(1).max(64) });
const tags = ['instances'];

export const instanceRoutes: FastifyPluginAsyncZod<{ store: Store }> = async (app, { store }) => {
  app.get('/v1/instances', {
    schema: { summary: 'List instances', tags, querystring: ListQuerySchema, response: { 200: InstanceListSchema, ...READ_ERRORS } },
  }, async (request) => {
    const page = await store.listInstances(principalOf(request).accountId, request.query);
    return { items: page.items.map(presentInstance), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
  });

  app.post('/v1/instances', {
    schema: { summary: 'Create an instance (asynchronous: 202 with an operation)', tags, body: InstanceCreateSchema, response: { 202: InstanceAccepted, ...WRITE_ERRORS } },
  }, async (request, reply) => {
    const { instance, operation } = await store.createInstance(principalOf(request), request.body);
    const resource = presentInstance(instance);
    reply.code(202).header('location', `/v1/instances/${instance.id}`).header('etag', resource.etag);
    return { resource, operation };
  });

  // The store hands out one frozen row object per cached row version (PrismaStore.getInstance), so its
  // JSON body cannot change either: it is serialised through the route's response schema once per
  // row object and then sent as is. Why: zod's response encoding was the GET's largest cost after
  // the database read went (bench/api/README.md).
  const bodies = new WeakMap<InstanceRow, { body: string; etag: string }>();
  app.get('/v1/instances/:id', {
    schema: { summary: 'Get an instance', tags, params: IdParams, response: { 200: InstanceSchema, ...ONE_ERRORS } },
  }, async (request, reply) => {
    const row = await store.getInstance(principalOf(request).accountId, request.params.id);
    if (!row) throw notFound('instance');
    let cached = bodies.get(row);
    if (cached === undefined) {
      const resource = presentInstance(row);
      cached = { body: reply.serialize(resource) as string, etag: resource.etag };
      bodies.set(row, cached);
    }
    reply.header('etag', cached.etag);
    // A string with a JSON content type skips the serializer; the typed send() only knows the objects.
    return reply.type('application/json; charset=utf-8').send(cached.body as never);
  });

  app.put('/v1/instances/:id', {
    schema: { summary: 'Replace an instance\'s spec and labels (202; brokers and disk only grow)', tags, params: IdParams, body: InstanceUpdateSchema, response: { 202: InstanceAccepted, ...WRITE_ERRORS } },
  }, async (request, reply) => {
    const p = principalOf(request);
    const current = await store.getInstance(p.accountId, request.params.id);
    if (!current) throw notFound('instance');
    const version = expectedVersion(request, current.id);
    // Fewer brokers: the operator drains the brokers that go (their replicas move onto the others)
    // before removing them, which works only while the brokers that stay can hold every topic's
    // replication factor.
    if (request.body.spec.brokers < current.spec.brokers) {
      const widest = await widestTopic(store, current.id);
      if (widest && widest.replicationFactor > request.body.spec.brokers) {
        throw new ApiError('replication-factor-too-high', `topic "${widest.name}" has replication factor ${widest.replicationFactor}: the instance cannot shrink to ${request.body.spec.brokers} brokers`, {
          errors: [{ in: 'body', path: '/spec/brokers', message: `must be at least ${widest.replicationFactor} (the replication factor of topic "${widest.name}"); lower that first` }],
        });
      }
    }
    const immutable = immutableSpecChanges(current.spec, request.body.spec);
    if (immutable.length > 0) {
      throw new ApiError('validation-failed', `cannot change ${immutable.join(', ')} of an existing instance`, {
        errors: immutable.map((f) => ({ in: 'body' as const, path: `/spec/${f}`, message: 'cannot change (or shrink) after creation' })),
      });
    }
    // Limits below what is in use are refused by the store, under the instance's row lock.
    const { instance, operation } = await store.updateInstance(p, current.id, request.body, version);
    const resource = presentInstance(instance);
    reply.code(202).header('etag', resource.etag);
    return { resource, operation };
  });

  app.delete('/v1/instances/:id', {
    schema: {
      summary: 'Delete an instance (needs ?force=true while it has topics)', tags, params: IdParams,
      querystring: z.strictObject({ force: z.enum(['true', 'false']).default('false') }),
      response: { 202: InstanceAccepted, ...WRITE_ERRORS },
    },
  }, async (request, reply) => {
    const p = principalOf(request);
    const current = await store.getInstance(p.accountId, request.params.id);
    if (!current) throw notFound('instance');
    const version = expectedVersion(request, current.id);
    const { instance, operation } = await store.deleteInstance(p, current.id, { force: request.query.force === 'true', ...(version !== undefined ? { expectedVersion: version } : {}) });
    reply.code(202);
    return { resource: presentInstance(instance), operation };
  });
};

/** The instance's topic with the highest replication factor (pages through them all), or null without topics. */
async function widestTopic(store: Store, instanceId: string): Promise<{ name: string; replicationFactor: number } | null> {
  let widest: { name: string; replicationFactor: number } | null = null;
  let cursor: string | undefined;
  do {
    const page = await store.listTopics(instanceId, { limit: 500, cursor });
    for (const t of page.items) if (!widest || t.replicationFactor > widest.replicationFactor) widest = { name: t.name, replicationFactor: t.replicationFactor };
    cursor = page.nextCursor;
  } while (cursor);
  return widest;
}
