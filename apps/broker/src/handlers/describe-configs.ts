
import { ConfigProblem, SOURCE, TYPE, describeResource } from './config-resources.ts';
import { defineApi } from './api-module.ts';

export const describeConfigsApi = defineApi({
  api: 'DescribeConfigs',
  minVersion: 0,
  maxVersion: 4,
  serves: 'any-broker',
  readsLatest: true,
  authorization: { kind: 'per-resource', acl: 'DESCRIBE_CONFIGS on each topic or group, on the cluster for brokers' },
  handle: (ctx, request, session) => {
    const req = request.body;
    const v = request.apiVersion;
    return {
      throttleTimeMs: 0,
      results: req.resources.map((r) => {
        const base = { resourceType: r.resourceType, resourceName: r.resourceName };
        try {
          const wanted = r.configurationKeys;
          const configs = describeResource(ctx, session, r.resourceType, r.resourceName)
            .filter((e) => wanted === null || wanted.includes(e.name))
            .map((e) => ({
              name: e.name,
              // Secrets (ssl.key.password …) are never sent back: Kafka marks password configs sensitive.
              value: e.sensitive ? null : e.value,
              readOnly: e.readOnly,
              isSensitive: e.sensitive,
              ...(v === 0 ? { isDefault: e.source === SOURCE.default } : { configSource: e.source }),
              ...(v >= 1 ? { synonyms: req.includeSynonyms ? e.synonyms.map((s) => ({ ...s, value: e.sensitive ? null : s.value })) : [] } : {}),
              ...(v >= 3 ? { configType: TYPE[e.type], documentation: req.includeDocumentation ? e.documentation : null } : {}),
            }));
          // Kafka answers a described resource with the message "" (not null).
          return { ...base, errorCode: 0, errorMessage: '', configs };
        } catch (err) {
          if (err instanceof ConfigProblem) return { ...base, errorCode: err.errorCode, errorMessage: err.message, configs: [] };
          throw err;
        }
      }),
    };
  },
});
