import type { FastifyInstance } from 'fastify';

/**
 * The `operationId` of every documented route, the names generated clients give their methods.
 * One table instead of a field in each route: the names are part of the public contract (renaming
 * one breaks every generated client), and here they are read and reviewed together. A documented
 * route missing from this table fails at start-up, so none can be added without a name.
 */
export const OPERATION_IDS: Record<string, string> = {
  'GET /v1/instances': 'listInstances',
  'POST /v1/instances': 'createInstance',
  'GET /v1/instances/:id': 'getInstance',
  'PUT /v1/instances/:id': 'replaceInstance',
  'DELETE /v1/instances/:id': 'deleteInstance',
  'GET /v1/instances/:id/topics': 'listTopics',
  'POST /v1/instances/:id/topics': 'createTopic',
  'GET /v1/instances/:id/topics/:name': 'getTopic',
  'PUT /v1/instances/:id/topics/:name': 'replaceTopic',
  'PATCH /v1/instances/:id/topics/:name': 'updateTopic',
  'DELETE /v1/instances/:id/topics/:name': 'deleteTopic',
  'GET /v1/instances/:id/topics/:name/partitions': 'getTopicPartitions',
  'POST /v1/instances/:id/topics/:name/partitions': 'increaseTopicPartitions',
  'GET /v1/instances/:id/users': 'listUsers',
  'POST /v1/instances/:id/users': 'createUser',
  'GET /v1/instances/:id/users/:key': 'getUser',
  'PUT /v1/instances/:id/users/:key': 'rotateUserPassword',
  'PATCH /v1/instances/:id/users/:key': 'relabelUser',
  'DELETE /v1/instances/:id/users/:key': 'deleteUser',
  'GET /v1/instances/:id/acls': 'listAcls',
  'POST /v1/instances/:id/acls': 'createAcl',
  'GET /v1/instances/:id/acls/:key': 'getAcl',
  'PATCH /v1/instances/:id/acls/:key': 'relabelAcl',
  'DELETE /v1/instances/:id/acls/:key': 'deleteAcl',
  'GET /v1/instances/:id/client-quotas': 'listClientQuotas',
  'POST /v1/instances/:id/client-quotas': 'createClientQuota',
  'GET /v1/instances/:id/client-quotas/:key': 'getClientQuota',
  'PUT /v1/instances/:id/client-quotas/:key': 'replaceClientQuota',
  'PATCH /v1/instances/:id/client-quotas/:key': 'relabelClientQuota',
  'DELETE /v1/instances/:id/client-quotas/:key': 'deleteClientQuota',
  'GET /v1/instances/:id/consumer-group-quotas': 'listConsumerGroupQuotas',
  'POST /v1/instances/:id/consumer-group-quotas': 'createConsumerGroupQuota',
  'GET /v1/instances/:id/consumer-group-quotas/:key': 'getConsumerGroupQuota',
  'PUT /v1/instances/:id/consumer-group-quotas/:key': 'replaceConsumerGroupQuota',
  'PATCH /v1/instances/:id/consumer-group-quotas/:key': 'relabelConsumerGroupQuota',
  'DELETE /v1/instances/:id/consumer-group-quotas/:key': 'deleteConsumerGroupQuota',
  'GET /v1/instances/:id/consumer-groups': 'listConsumerGroups',
  'GET /v1/instances/:id/consumer-groups/:group': 'getConsumerGroup',
  'DELETE /v1/instances/:id/consumer-groups/:group': 'deleteConsumerGroup',
  'POST /v1/instances/:id/consumer-groups/:group/offsets': 'resetConsumerGroupOffsets',
  'GET /v1/instances/:id/topics/:name/messages': 'readMessages',
  'POST /v1/instances/:id/topics/:name/messages': 'sendMessage',
  'GET /v1/instances/:id/topics/:name/messages/:partition/:offset': 'getMessage',
  'POST /v1/instances/:id/topics/:name/messages/search': 'searchMessages',
  'GET /v1/instances/:id/topics/:name/messages/tail': 'tailMessages',
  'GET /v1/instances/:id/topics/:name/messages/export': 'exportMessages',
  'GET /v1/billing/price-book': 'getPriceBook',
  'GET /v1/billing/usage': 'listUsage',
  'GET /v1/billing/invoices': 'listInvoices',
  'GET /v1/billing/invoices/preview': 'previewInvoice',
  'GET /v1/billing/invoices/:id': 'getInvoice',
  'GET /v1/billing/invoices/:id/recompute': 'recomputeInvoice',
  'GET /v1/billing/reports/usage': 'getUsageReport',
  'GET /v1/billing/reports/chargeback': 'getChargebackReport',
  'POST /v1/billing/quotes': 'createQuote',
  'POST /v1/instances/:id/renew': 'renewInstance',
  'DELETE /v1/instances/:id/pending-change': 'cancelPendingChange',
  'POST /v1/instances/:id/isolate': 'isolateInstance',
  'POST /v1/instances/:id/resume': 'resumeInstance',
  'POST /v1/accounts/:id/isolate': 'isolateAccount',
  'POST /v1/accounts/:id/resume': 'resumeAccount',
  'GET /v1/accounts': 'listAccounts',
  'POST /v1/accounts': 'createAccount',
  'GET /v1/accounts/:id': 'getAccount',
  'GET /v1/api-keys': 'listApiKeys',
  'POST /v1/api-keys': 'createApiKey',
  'DELETE /v1/api-keys/:id': 'revokeApiKey',
  'GET /v1/operations': 'listOperations',
  'GET /v1/operations/:id': 'getOperation',
  'POST /v1/operations/:id/cancel': 'cancelOperation',
  'GET /v1/me': 'getMe',
  'GET /v1/instances/:id/consumer-groups/:group/lag-history': 'getConsumerGroupLagHistory',
  'GET /v1/audit-events': 'listAuditEvents',
};

/** Sets each documented route's operationId from the table (before @fastify/swagger reads it). */
export function nameOperations(app: FastifyInstance) {
  app.addHook('onRoute', (route) => {
    const schema = route.schema as ({ hide?: boolean; operationId?: string } & Record<string, unknown>) | undefined;
    if (!schema || schema.hide || route.method === 'HEAD' || !route.url.startsWith('/v1/')) return;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const m of methods) {
      const id = OPERATION_IDS[`${m} ${route.url}`];
      if (!id) throw new Error(`route ${m} ${route.url} has no operationId in apps/api/src/operation-ids.ts`);
      schema.operationId = id;
    }
  });
}
