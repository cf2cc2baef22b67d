import { describe, expect, it } from 'vitest';
import { defaultFeatureLevels, elrEnabled, finalizedLevels, planFeatureUpdates } from './features.ts';

const ELR = 'eligible.leader.replicas.version';
const failed = (message: string) => ({ ok: false, errorCode: 95, message: `The update failed for all features since the following feature had an error: ${message}` });

describe('finalized feature levels', () => {
  it('are a new Kafka 4.4 cluster\'s until UpdateFeatures changes them; transaction.version 0 when the broker is set to 1', () => {
    expect(defaultFeatureLevels(2)).toEqual({ [ELR]: 1, 'group.version': 1, 'transaction.version': 2 });
    expect(defaultFeatureLevels(1)['transaction.version']).toBe(0);
    expect(finalizedLevels({ [ELR]: 0 }, defaultFeatureLevels(2))).toEqual({ [ELR]: 0, 'group.version': 1, 'transaction.version': 2 });
    expect(elrEnabled(finalizedLevels(undefined, defaultFeatureLevels(2)))).toBe(true);
    expect(elrEnabled({ [ELR]: 0 })).toBe(false);
  });
});

describe('planFeatureUpdates: Kafka 4.4\'s checks and messages (its 1-node answers)', () => {
  const now = defaultFeatureLevels(2);
  it('downgrades only with a downgrade type, safe or unsafe, and upgrades within the supported range', () => {
    expect(planFeatureUpdates(now, [{ feature: ELR, maxVersionLevel: 0, upgradeType: 1 }], 1)).toEqual(failed(`Invalid update version 0 for feature ${ELR}. Can't downgrade the version of this feature without setting the upgrade type to either safe or unsafe downgrade.`));
    expect(planFeatureUpdates(now, [{ feature: ELR, maxVersionLevel: 0, upgradeType: 2 }], 1)).toEqual({ ok: true, levels: { ...now, [ELR]: 0 } });
    expect(planFeatureUpdates(now, [{ feature: 'transaction.version', maxVersionLevel: 1, upgradeType: 3 }], 1)).toEqual({ ok: true, levels: { ...now, 'transaction.version': 1 } });
    expect(planFeatureUpdates({ ...now, [ELR]: 0 }, [{ feature: ELR, maxVersionLevel: 1, upgradeType: 1 }], 1)).toEqual({ ok: true, levels: now });
    expect(planFeatureUpdates(now, [{ feature: ELR, maxVersionLevel: 2, upgradeType: 1 }], 1)).toEqual(failed(`Invalid update version 2 for feature ${ELR}. Local controller 1 only supports versions 0-1`));
  });

  it('fails every update for one refused, in request order: unknown features, unknown upgrade types', () => {
    expect(planFeatureUpdates(now, [{ feature: 'unknown.thing', maxVersionLevel: 1, upgradeType: 1 }, { feature: ELR, maxVersionLevel: 0, upgradeType: 2 }], 3)).toEqual(failed('Invalid update version 1 for feature unknown.thing. Local controller 3 does not support this feature.'));
    expect(planFeatureUpdates(now, [{ feature: 'group.version', maxVersionLevel: 1, upgradeType: 7 }], 1)).toEqual(failed('Invalid update version 1 for feature group.version. The controller does not support the given upgrade type.'));
    expect(planFeatureUpdates(now, [], 1)).toEqual({ ok: true, levels: now });
  });

  it('keeps group.version at 1 (not Kafka\'s: the consumer protocol cannot be turned off)', () => {
    expect(planFeatureUpdates(now, [{ feature: 'group.version', maxVersionLevel: 0, upgradeType: 2 }], 1)).toMatchObject({ ok: false, errorCode: 95 });
    expect(planFeatureUpdates(now, [{ feature: 'group.version', maxVersionLevel: 1, upgradeType: 1 }], 1)).toEqual({ ok: true, levels: now });
  });
});
