import { defineApi } from './api-module.ts';
import { onCluster } from './cluster-admin.ts';

/**
 * UpdateFeatures (KIP-584; `kafka-features upgrade|downgrade|disable`): Kafka 4.4's checks and
 * messages (cluster/features.ts), the levels kept by the cluster (etcd, or the data directory of a
 * standalone broker) and then answered by ApiVersions. One refused update fails the whole request:
 * INVALID_UPDATE_VERSION at the top with no per-feature results. As Kafka answers: v0–v1 list every
 * feature asked for on success (error message "NONE"), v2 lists none; v0's allowDowngrade is ignored
 * (a downgrade needs v1's upgrade type). ALTER on the cluster, as Kafka.
 */
export const updateFeaturesApi = defineApi({
  api: 'UpdateFeatures',
  minVersion: 0,
  maxVersion: 2,
  serves: 'any-broker',
  authorization: onCluster('ALTER'),
  handle: async (ctx, request) => {
    const req = request.body;
    const updates = req.featureUpdates.map((u) => ({ feature: u.feature, maxVersionLevel: u.maxVersionLevel, upgradeType: request.apiVersion === 0 ? 1 : u.upgradeType }));
    const outcome = await ctx.cluster.updateFeatures(updates, request.apiVersion >= 1 && req.validateOnly);
    if (outcome.errorCode !== 0) return { throttleTimeMs: 0, errorCode: outcome.errorCode, errorMessage: outcome.message, results: [] };
    const results = request.apiVersion >= 2 ? [] : updates.map((u) => ({ feature: u.feature, errorCode: 0, errorMessage: 'NONE' }));
    return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, results };
  },
});
