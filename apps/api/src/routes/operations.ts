import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ConsumerGroupSchema, OffsetResetSchema, OperationSchema, pageOf } from '@tributary/contracts';
import { principalOf } from '../plugins/auth.ts';
import { ApiError, notFound } from '../errors.ts';
import type { Store } from '../store/types.ts';
import { READ_ERRORS, WRITE_ERRORS } from './responses.ts';

export const operationRoutes: FastifyPluginAsyncZod<{ store: Store }> = async (app, { store }) => {
  app.get('/v1/operations/:id', {
    schema: { summary: 'Get a long-running operation', tags: ['operations'], params: z.strictObject({ id: z.string().min(1).max(64) }), response: { 200: OperationSchema, ...READ_ERRORS } },
  }, async (request) => {
    const op = await store.getOperation(principalOf(request).accountId, request.params.id);
    if (!op) throw notFound('operation');
    return op;
  });
};

/**
 * Live consumer-group views need a reachable broker; until the operator reports one (status
 * bootstrapServers) they answer 409 instance-not-running. The live reads arrive with the operator.
 */
export const consumerGroupRoutes: FastifyPluginAsyncZod<{ store: Store }> = async (app, { store }) => {
  const tags = ['consumer-groups'];
  const Params = z.strictObject({ id: z.string().min(1).max(64) });
  const GroupParams = Params.extend({ group: z.string().min(1).max(249) });
  const notRunning = async (accountId: string, id: string): Promise<never> => {
    const instance = await store.getInstance(accountId, id);
    if (!instance) throw notFound('instance');
    throw new ApiError('instance-not-running', instance.bootstrapServers
      ? 'live consumer-group reads are not available yet'
      : `instance is ${instance.phase}; no broker is reachable yet`);
  };
  app.get('/v1/instances/:id/consumer-groups', {
    schema: { summary: 'List live consumer groups', tags, params: Params, response: { 200: pageOf(ConsumerGroupSchema, 'ConsumerGroupList'), ...WRITE_ERRORS } },
  }, (request) => notRunning(principalOf(request).accountId, request.params.id));
  app.get('/v1/instances/:id/consumer-groups/:group', {
    schema: { summary: 'Describe a live consumer group (members, offsets, lag)', tags, params: GroupParams, response: { 200: ConsumerGroupSchema, ...WRITE_ERRORS } },
  }, (request) => notRunning(principalOf(request).accountId, request.params.id));
  app.delete('/v1/instances/:id/consumer-groups/:group', {
    schema: { summary: 'Delete an empty consumer group', tags, params: GroupParams, response: { 204: z.null(), ...WRITE_ERRORS } },
  }, (request) => notRunning(principalOf(request).accountId, request.params.id));
  app.post('/v1/instances/:id/consumer-groups/:group/offsets', {
    schema: { summary: 'Reset an empty group\'s committed offsets', tags, params: GroupParams, body: OffsetResetSchema, response: { 200: ConsumerGroupSchema, ...WRITE_ERRORS } },
  }, (request) => notRunning(principalOf(request).accountId, request.params.id));
};
