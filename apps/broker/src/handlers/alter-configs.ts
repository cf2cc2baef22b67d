
import { SET, alterAll } from './config-resources.ts';
import { defineApi } from './api-module.ts';

/** AlterConfigs replaces a resource's whole override set (Kafka's non-incremental semantics). */
export const alterConfigsApi = defineApi({
  api: 'AlterConfigs',
  minVersion: 0,
  maxVersion: 2,
  serves: 'any-broker',
  readsLatest: true,
  authorization: { kind: 'per-resource', acl: 'ALTER_CONFIGS on each topic or group, on the cluster for brokers' },
  handle: (ctx, request, session) => {
    const req = request.body;
    return alterAll(ctx, session, req.resources, req.validateOnly, (r) => r.configs.map((c) => ({ name: c.name, op: SET, value: c.value })), true);
  },
});
