/**
 * Finalized feature levels (KIP-584) and Kafka 4.4's rules for changing them (UpdateFeatures,
 * `kafka-features upgrade|downgrade|disable`; Kafka's FeatureControlManager). Pure: the cluster keeps
 * the levels (etcd's `features` key, or a standalone broker's data directory) and asks here whether
 * an update may be made and what it makes.
 *
 * The features are those of Kafka 4.4 that change what Tributary does or advertises:
 * - `eligible.leader.replicas.version` 0–1: KIP-966's ELR (partition-change.ts); 1 on a new cluster,
 *   as Kafka 4.4 formats one. At 0 the controller keeps no ELR (and leaves the last member of an ISR
 *   in it, as before KIP-966).
 * - `transaction.version` 0–2: advertised in ApiVersions, from which Kafka 4 clients choose KIP-890
 *   part 2's request versions (the broker follows the versions it is sent, as Kafka's does).
 * - `group.version` 0–1: listed at 1 (KIP-848 consumer groups); Tributary does not turn the consumer
 *   protocol off, so a change to 0 is refused (an intended difference, test/conformance/README.md).
 * Kafka's metadata.version, kraft.version, share.version and streams.version belong to parts
 * Tributary has not: updates of them are answered as for a feature this controller does not know.
 */
import { ErrorCode } from '@tributary/protocol';

export const ELR_FEATURE = 'eligible.leader.replicas.version';
export const GROUP_FEATURE = 'group.version';
export const TRANSACTION_FEATURE = 'transaction.version';

/** The supported range of each feature (ApiVersions' SupportedFeatures), in the order they are listed. */
export const SUPPORTED_FEATURES: readonly { name: string; minVersion: number; maxVersion: number }[] = [
  { name: ELR_FEATURE, minVersion: 0, maxVersion: 1 },
  { name: GROUP_FEATURE, minVersion: 0, maxVersion: 1 },
  { name: TRANSACTION_FEATURE, minVersion: 0, maxVersion: 2 },
];

/** Finalized level per feature; a feature at 0 is off (ApiVersions leaves it out, as Kafka does). */
export type FeatureLevels = Record<string, number>;

/** The finalized levels and their epoch (clients keep the levels of the highest epoch they saw). */
export interface FinalizedFeatures {
  levels: FeatureLevels;
  epoch: bigint;
}

/**
 * The levels of a cluster nobody changed: Kafka 4.4's for a new cluster, transaction.version as the
 * broker setting `tributary.transaction.version` says (2, or 1: not advertised, read as level 0).
 */
export function defaultFeatureLevels(transactionVersionSetting: number): FeatureLevels {
  return { [ELR_FEATURE]: 1, [GROUP_FEATURE]: 1, [TRANSACTION_FEATURE]: transactionVersionSetting >= 2 ? transactionVersionSetting : 0 };
}

/** The stored levels over the defaults (a feature the store does not name keeps its default). */
export function finalizedLevels(stored: FeatureLevels | undefined, defaults: FeatureLevels): FeatureLevels {
  return { ...defaults, ...(stored ?? {}) };
}

/** KIP-966 is on unless `eligible.leader.replicas.version` was finalized at 0. */
export const elrEnabled = (levels: FeatureLevels): boolean => (levels[ELR_FEATURE] ?? 1) >= 1;

/** UpdateFeatures' upgrade types (v1+; v0's allowDowngrade is ignored by Kafka 4.4, as upgrade). */
export const UpgradeType = { UPGRADE: 1, SAFE_DOWNGRADE: 2, UNSAFE_DOWNGRADE: 3 } as const;

export interface FeatureUpdate {
  feature: string;
  maxVersionLevel: number;
  upgradeType: number;
}

export type FeatureUpdatePlan = { ok: true; levels: FeatureLevels } | { ok: false; errorCode: number; message: string };

/**
 * Kafka 4.4's answer to an UpdateFeatures request, as its controller validates it: every update is
 * checked in request order and the first refusal fails all of them (INVALID_UPDATE_VERSION, with
 * Kafka's messages, compared in test/conformance/protocol-cluster.test.ts); otherwise the levels
 * after the updates (a repeated feature: the last one counts).
 */
export function planFeatureUpdates(current: FeatureLevels, updates: readonly FeatureUpdate[], controllerId: number): FeatureUpdatePlan {
  const levels = { ...current };
  for (const u of updates) {
    const refusal = refuse(u, levels, controllerId);
    if (refusal) return { ok: false, errorCode: ErrorCode.INVALID_UPDATE_VERSION, message: `The update failed for all features since the following feature had an error: Invalid update version ${u.maxVersionLevel} for feature ${u.feature}. ${refusal}` };
    levels[u.feature] = u.maxVersionLevel;
  }
  return { ok: true, levels };
}

function refuse(u: FeatureUpdate, levels: FeatureLevels, controllerId: number): string | null {
  if (!Object.values(UpgradeType).includes(u.upgradeType as 1 | 2 | 3)) return 'The controller does not support the given upgrade type.';
  if (u.maxVersionLevel < 0) return 'A feature version cannot be less than 0.';
  const spec = SUPPORTED_FEATURES.find((f) => f.name === u.feature);
  if (!spec) return `Local controller ${controllerId} does not support this feature.`;
  if (u.maxVersionLevel < spec.minVersion || u.maxVersionLevel > spec.maxVersion) return `Local controller ${controllerId} only supports versions ${spec.minVersion}-${spec.maxVersion}`;
  const currentLevel = levels[u.feature] ?? 0;
  if (u.maxVersionLevel < currentLevel && u.upgradeType === UpgradeType.UPGRADE) return "Can't downgrade the version of this feature without setting the upgrade type to either safe or unsafe downgrade.";
  // Not Kafka's: Tributary always runs KIP-848's consumer groups (test/conformance/README.md).
  if (u.feature === GROUP_FEATURE && u.maxVersionLevel !== currentLevel) return 'Tributary keeps group.version 1: its group coordinator always serves KIP-848 consumer groups.';
  return null;
}
