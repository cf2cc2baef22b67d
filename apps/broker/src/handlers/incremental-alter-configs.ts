
import { alterAll } from './config-resources.ts';
import { defineApi } from './api-module.ts';

export const incrementalAlterConfigsApi = defineApi({
  api: 'IncrementalAlterConfigs',
  minVersion: 0,
  maxVersion: 1,
  serves: 'any-broker',
  readsLatest: true,
  authorization: { kind: 'per-resource', acl: 'ALTER_CONFIGS on each topic or group, on the cluster for brokers' },
  handle: (ctx, request, session) => {
    const req = request.body;
    return alterAll(ctx, session, req.resources, req.validateOnly, (r) => r.configs.map((c) => ({ name: c.name, op: c.configOperation, value: c.value })), false);
  },
});
