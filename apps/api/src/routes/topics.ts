import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import {
  ListQuerySchema, PartitionIncreaseSchema, PartitionStateListSchema, TopicCreateSchema, TopicListSchema, TopicNameSchema, TopicSchema, TopicUpdateSchema,
  acceptedOf, topicRulesAgainstInstance,
} from '@tributary/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { principalOf } from '../plugins/auth.ts';
import { ApiError, notFound } from '../errors.ts';
import { expectedVersion, withEtag } from '../http.ts';
import { presentTopic } from '../present.ts';
import { statsByTopic } from '../topic-stats.ts';
import type { InstanceRow, Store } from '../store/types.ts';
import { LIVE_ERRORS, ONE_ERRORS, READ_ERRORS, WRITE_ERRORS } from './responses.ts';
import { withInstanceAdmin } from '../live/instance-admin.ts';
import { readPartitions } from '../live/topic-partitions.ts';

const TopicAccepted = acceptedOf(TopicSchema, 'TopicAccepted');
const InstanceParams = z.strictObject({ id: z.string().min(1).max(64) });
const TopicParams = z.strictObject({ id: z.string().min(1).max(64), name: TopicNameSchema });
const tags = ['topics'];

export const topicRoutes: FastifyPluginAsyncZod<{ store: Store }> = async (app, { store }) => {
  async function instanceOf(request: FastifyRequest, id: string): Promise<InstanceRow> {
    const instance = await store.getInstance(principalOf(request).accountId, id);
    if (!instance || instance.phase === 'Deleting') throw notFound('instance');
    return instance;
  }

  app.get('/v1/instances/:id/topics', {
    schema: { summary: 'List an instance\'s topics', tags, params: InstanceParams, querystring: ListQuerySchema, response: { 200: TopicListSchema, ...READ_ERRORS } },
  }, async (request) => {
    const instance = await instanceOf(request, request.params.id);
    const page = await store.listTopics(instance.id, request.query);
    // Size and message rate from the topic sampler's rows (jobs/topic-sampler.ts): a database read,
    // so the list answers the same whether or not the brokers do.
    const stats = statsByTopic(await store.latestTopicSamples(instance.id, page.items.map((t) => t.name)));
    return { items: page.items.map((t) => ({ ...presentTopic(t), stats: stats.get(t.name) ?? null })), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
  });

  app.post('/v1/instances/:id/topics', {
    schema: { summary: 'Create a topic (202 with an operation)', tags, params: InstanceParams, body: TopicCreateSchema, response: { 202: TopicAccepted, ...WRITE_ERRORS } },
  }, async (request, reply) => {
    const instance = await instanceOf(request, request.params.id);
    const body = request.body;
    const violations = topicRulesAgainstInstance(body, instance.spec.brokers);
    const first = violations[0];
    if (first) {
      throw new ApiError(first.code, violations.map((v) => v.message).join('; '), { errors: violations.map((v) => ({ in: 'body' as const, path: v.path, message: v.message })) });
    }
    // Limits are checked once, by the store, under the instance's row lock.
    const { topic, operation } = await store.createTopic(principalOf(request), instance, body);
    const resource = presentTopic(topic);
    reply.code(202).header('location', `/v1/instances/${instance.id}/topics/${topic.name}`).header('etag', resource.etag);
    return { resource, operation };
  });

  app.get('/v1/instances/:id/topics/:name', {
    schema: { summary: 'Get a topic', tags, params: TopicParams, response: { 200: TopicSchema, ...ONE_ERRORS } },
  }, async (request, reply) => {
    const instance = await instanceOf(request, request.params.id);
    const topic = await store.getTopic(instance.id, request.params.name);
    if (!topic) throw notFound('topic');
    return withEtag(reply, presentTopic(topic));
  });

  const update = async (request: FastifyRequest, reply: FastifyReply, params: z.infer<typeof TopicParams>, body: z.infer<typeof TopicUpdateSchema>, replace: boolean) => {
    const instance = await instanceOf(request, params.id);
    const topic = await store.getTopic(instance.id, params.name);
    if (!topic) throw notFound('topic');
    const version = expectedVersion(request, topic.id);
    const configs = replace ? body.configs ?? {} : body.configs ? { ...topic.configs, ...body.configs } : undefined;
    // A replication factor change happens in place (the operator moves replicas): checked like a
    // new topic's against the instance's brokers, together with min.insync.replicas.
    const replicationFactor = body.replicationFactor !== undefined && body.replicationFactor !== topic.replicationFactor ? body.replicationFactor : undefined;
    if (configs || replicationFactor !== undefined) {
      const violations = topicRulesAgainstInstance({ replicationFactor: replicationFactor ?? topic.replicationFactor, configs: configs ?? topic.configs }, instance.spec.brokers)
        .filter((v) => v.path.startsWith('/configs') || replicationFactor !== undefined);
      if (violations.length > 0) {
        const code = violations.find((v) => v.path === '/replicationFactor')?.code ?? 'validation-failed';
        throw new ApiError(code, violations.map((v) => v.message).join('; '), { errors: violations.map((v) => ({ in: 'body' as const, path: v.path, message: v.message })) });
      }
    }
    const labels = replace ? body.labels ?? {} : body.labels;
    const { topic: updated, operation } = await store.updateTopic(principalOf(request), topic, { ...(configs ? { configs } : {}), ...(labels ? { labels } : {}), ...(replicationFactor !== undefined ? { replicationFactor } : {}) }, version);
    const resource = presentTopic(updated);
    reply.code(202).header('etag', resource.etag);
    return { resource, operation };
  };
  app.put('/v1/instances/:id/topics/:name', {
    schema: { summary: 'Replace a topic\'s configs and labels (and change its replication factor in place)', tags, params: TopicParams, body: TopicUpdateSchema, response: { 202: TopicAccepted, ...WRITE_ERRORS } },
  }, (request, reply) => update(request, reply, request.params, request.body, true));
  app.patch('/v1/instances/:id/topics/:name', {
    schema: { summary: 'Merge configs and labels into a topic (and change its replication factor in place)', tags, params: TopicParams, body: TopicUpdateSchema, response: { 202: TopicAccepted, ...WRITE_ERRORS } },
  }, (request, reply) => update(request, reply, request.params, request.body, false));

  app.get('/v1/instances/:id/topics/:name/partitions', {
    schema: { summary: 'Live partition state: leader, replicas, ISR, offsets, size', tags, params: TopicParams, response: { 200: PartitionStateListSchema, ...LIVE_ERRORS } },
  }, async (request) => {
    const instance = await instanceOf(request, request.params.id);
    if (!(await store.getTopic(instance.id, request.params.name))) throw notFound('topic');
    if (!instance.internalBootstrapServers) throw new ApiError('instance-not-running', `instance is ${instance.phase}; no broker is reachable yet`);
    return withInstanceAdmin(instance.internalBootstrapServers, (admin) => readPartitions(admin, request.params.name));
  });

  app.post('/v1/instances/:id/topics/:name/partitions', {
    schema: { summary: 'Increase a topic\'s partition count (never decreases)', tags, params: TopicParams, body: PartitionIncreaseSchema, response: { 202: TopicAccepted, ...WRITE_ERRORS } },
  }, async (request, reply) => {
    const instance = await instanceOf(request, request.params.id);
    const topic = await store.getTopic(instance.id, request.params.name);
    if (!topic) throw notFound('topic');
    const version = expectedVersion(request, topic.id);
    // Only increases, within partitionLimit: checked by the store under the instance's row lock.
    const { topic: updated, operation } = await store.updateTopic(principalOf(request), topic, { partitions: request.body.partitions }, version);
    const resource = presentTopic(updated);
    reply.code(202).header('etag', resource.etag);
    return { resource, operation };
  });

  app.delete('/v1/instances/:id/topics/:name', {
    schema: { summary: 'Delete a topic', tags, params: TopicParams, response: { 202: TopicAccepted, ...WRITE_ERRORS } },
  }, async (request, reply) => {
    const instance = await instanceOf(request, request.params.id);
    const topic = await store.getTopic(instance.id, request.params.name);
    if (!topic) throw notFound('topic');
    const version = expectedVersion(request, topic.id);
    const { topic: deleted, operation } = await store.deleteTopic(principalOf(request), topic, version);
    reply.code(202);
    return { resource: presentTopic(deleted), operation };
  });
};
