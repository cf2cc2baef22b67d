export { buildApp, BODY_LIMIT, OPENAPI_INFO, type AppOptions } from './app.ts';
export { generateApiKey, hashApiKey } from './plugins/auth.ts';
export { createReconcileQueue, type ReconcileQueue } from './jobs/queue.ts';
export type { Store, Principal, InstanceRow, TopicRow } from './store/types.ts';
