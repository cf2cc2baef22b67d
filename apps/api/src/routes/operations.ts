import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ConsumerGroupSchema, LagHistoryQuerySchema, LagHistorySchema, OffsetResetSchema, OperationListQuerySchema, OperationListSchema, OperationSchema, pageOf } from '@tributary/contracts';
import { principalOf } from '../plugins/auth.ts';
import { ApiError, notFound } from '../errors.ts';
import type { Store } from '../store/types.ts';
import { CANCEL_ERRORS, LIVE_ERRORS, READ_ERRORS } from './responses.ts';
import { deleteGroup, describeGroup, listGroups, resetOffsets } from '../live/consumer-groups.ts';
import { withInstanceAdmin } from '../live/instance-admin.ts';

export const operationRoutes: FastifyPluginAsyncZod<{ store: Store }> = async (app, { store }) => {
  app.get('/v1/operations', {
    schema: { summary: 'List the account\'s operations, oldest first (?targetId= for one resource\'s)', tags: ['operations'], querystring: OperationListQuerySchema, response: { 200: OperationListSchema, ...READ_ERRORS } },
  }, async (request) => {
    const page = await store.listOperations(principalOf(request).accountId, request.query);
    return { items: page.items, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
  });
  app.get('/v1/operations/:id', {
    schema: { summary: 'Get a long-running operation', tags: ['operations'], params: z.strictObject({ id: z.string().min(1).max(64) }), response: { 200: OperationSchema, ...READ_ERRORS } },
  }, async (request) => {
    const op = await store.getOperation(principalOf(request).accountId, request.params.id);
    if (!op) throw notFound('operation');
    return op;
  });
  app.post('/v1/operations/:id/cancel', {
    schema: {
      summary: 'Cancel the data an operation moves between brokers (202: the rebalance.cancel operation)',
      description: 'For a scale-up\'s rebalance, a scale-down\'s drain or a replication-factor change still moving data (Operation.progress set). '
        + 'The operator cancels the brokers\' reassignments, which put every moving partition\'s original replicas back (Kafka\'s cancel); '
        + 'the cancelled operation ends Failed with the reason, and no data moves on the instance until it or one of its topics is changed again. '
        + 'A cancel still waiting for the operator is answered again rather than recorded twice.',
      tags: ['operations'], params: z.strictObject({ id: z.string().min(1).max(64) }), response: { 202: OperationSchema, ...CANCEL_ERRORS },
    },
  }, async (request, reply) => {
    const op = await store.cancelRebalance(principalOf(request), request.params.id);
    reply.code(202).header('location', `/v1/operations/${op.id}`);
    return op;
  });
};

/**
 * Live consumer-group views, read from the instance's brokers at request time (apps/api/src/live).
 * An instance without bootstrap servers yet answers 409 instance-not-running; brokers that do not
 * answer give 503 instance-unreachable (retry later).
 */
export const consumerGroupRoutes: FastifyPluginAsyncZod<{ store: Store; lagSampling: { everyMs: number; retentionMs: number } }> = async (app, { store, lagSampling }) => {
  const tags = ['consumer-groups'];
  const Params = z.strictObject({ id: z.string().min(1).max(64) });
  const GroupParams = Params.extend({ group: z.string().min(1).max(249) });
  const ListQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(100).default(20), cursor: z.string().max(249).optional() });
  const bootstrapOf = async (accountId: string, id: string): Promise<string> => {
    const instance = await store.getInstance(accountId, id);
    if (!instance) throw notFound('instance');
    if (!instance.internalBootstrapServers || instance.phase === 'Deleting') throw new ApiError('instance-not-running', `instance is ${instance.phase}; no broker is reachable yet`);
    return instance.internalBootstrapServers;
  };
  app.get('/v1/instances/:id/consumer-groups', {
    schema: { summary: 'List live consumer groups with members, committed offsets and lag', tags, params: Params, querystring: ListQuery, response: { 200: pageOf(ConsumerGroupSchema, 'ConsumerGroupList'), ...LIVE_ERRORS } },
  }, async (request) => {
    const bootstrap = await bootstrapOf(principalOf(request).accountId, request.params.id);
    return withInstanceAdmin(bootstrap, (admin) => listGroups(admin, request.query.limit, request.query.cursor));
  });
  app.get('/v1/instances/:id/consumer-groups/:group', {
    schema: { summary: 'Describe a live consumer group (members, assignments, committed offsets, lag)', tags, params: GroupParams, response: { 200: ConsumerGroupSchema, ...LIVE_ERRORS } },
  }, async (request) => {
    const bootstrap = await bootstrapOf(principalOf(request).accountId, request.params.id);
    return withInstanceAdmin(bootstrap, (admin) => describeGroup(admin, request.params.group));
  });
  app.get('/v1/instances/:id/consumer-groups/:group/lag-history', {
    schema: {
      summary: 'A consumer group\'s lag per topic over time, sampled by the API every interval (jobs/lag-sampler.ts)',
      description: 'One point per topic and sampling interval (a minute by default): the sum of the group\'s lag over the topic\'s partitions. Points are kept for the retention period; a range outside it is empty, not an error.',
      tags, params: GroupParams, querystring: LagHistoryQuerySchema, response: { 200: LagHistorySchema, ...READ_ERRORS },
    },
  }, async (request) => {
    const instance = await store.getInstance(principalOf(request).accountId, request.params.id);
    if (!instance) throw notFound('instance');
    const to = request.query.to ? new Date(request.query.to) : new Date();
    const from = request.query.from ? new Date(request.query.from) : new Date(to.getTime() - 3600_000);
    if (from > to) throw new ApiError('validation-failed', 'from is after to', { errors: [{ in: 'query', path: '/from', message: 'after to' }] });
    const rows = await store.lagHistory(instance.id, request.params.group, from, to);
    const series = new Map<string, { at: string; lag: number }[]>();
    for (const r of rows) series.set(r.topic, [...(series.get(r.topic) ?? []), { at: r.at.toISOString(), lag: r.lag }]);
    return {
      group: request.params.group, intervalSeconds: lagSampling.everyMs / 1000, retentionHours: lagSampling.retentionMs / 3600_000,
      from: from.toISOString(), to: to.toISOString(), series: [...series].map(([topic, points]) => ({ topic, points })),
    };
  });
  app.delete('/v1/instances/:id/consumer-groups/:group', {
    schema: { summary: 'Delete an empty consumer group and its committed offsets', tags, params: GroupParams, response: { 204: z.null(), ...LIVE_ERRORS } },
  }, async (request, reply) => {
    const principal = principalOf(request);
    const bootstrap = await bootstrapOf(principal.accountId, request.params.id);
    const { operation } = await store.liveWrite(principal, { kind: 'consumer-group.delete', targetId: `${request.params.id}/${request.params.group}`, detail: {} },
      () => withInstanceAdmin(bootstrap, (admin) => deleteGroup(admin, request.params.group)));
    return reply.status(204).header('operation-id', operation.id).send(null);
  });
  app.post('/v1/instances/:id/consumer-groups/:group/offsets', {
    schema: { summary: "Reset an empty group's committed offsets on one topic (earliest, latest, timestamp or exact)", tags, params: GroupParams, body: OffsetResetSchema, response: { 200: ConsumerGroupSchema, ...LIVE_ERRORS } },
  }, async (request, reply) => {
    const principal = principalOf(request);
    const bootstrap = await bootstrapOf(principal.accountId, request.params.id);
    const { result, operation } = await store.liveWrite(principal, { kind: 'consumer-group.offsets-reset', targetId: `${request.params.id}/${request.params.group}`, detail: request.body },
      () => withInstanceAdmin(bootstrap, (admin) => resetOffsets(admin, request.params.group, request.body)));
    reply.header('operation-id', operation.id);
    return result;
  });
};
