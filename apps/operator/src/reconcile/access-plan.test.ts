import { describe, expect, it } from 'vitest';
import { accessBehind, planAccess } from './access-plan.ts';
import type { DesiredAcl } from './desired-instance.ts';

const acl = (over: Partial<DesiredAcl> = {}): DesiredAcl => ({ resourceType: 'TOPIC', resourceName: 'orders', patternType: 'LITERAL', principal: 'User:a', host: '*', operation: 'READ', permission: 'ALLOW', ...over });
const user = (name: string, mechanism: 'SCRAM-SHA-256' | 'SCRAM-SHA-512' = 'SCRAM-SHA-256') => ({ name, mechanism, iterations: 8192, salt: 'c2FsdA==', saltedPassword: 'cHc=' });

describe('planAccess', () => {
  it('applies every desired user and removes users and mechanisms the control plane does not hold', () => {
    const plan = planAccess({ users: [user('a'), { ...user('old'), salt: null, saltedPassword: null }], acls: [], quotas: [] }, { users: new Map([['a', ['SCRAM-SHA-256', 'SCRAM-SHA-512']], ['intruder', ['SCRAM-SHA-512']]]), acls: [], quotas: [] });
    expect(plan.upsertUsers.map((u) => u.name)).toEqual(['a']);
    expect(plan.skippedUsers).toEqual(['old']);
    expect(plan.deleteUsers).toEqual([{ user: 'a', mechanism: 'SCRAM-SHA-512' }, { user: 'intruder', mechanism: 'SCRAM-SHA-512' }]);
  });

  it('leaves API keys\' own principals alone: the API provisions them (messages over HTTP)', () => {
    const plan = planAccess({ users: [], acls: [], quotas: [] }, { users: new Map([['tributary-api.key-0123', ['SCRAM-SHA-512']], ['tributary-apix', ['SCRAM-SHA-512']]]), acls: [], quotas: [] });
    expect(plan.deleteUsers).toEqual([{ user: 'tributary-apix', mechanism: 'SCRAM-SHA-512' }]);
  });

  it('removes the principal of a revoked API key (every mechanism) and keeps those of live keys', () => {
    const live = { users: new Map([['tributary-api.key-live', ['SCRAM-SHA-512']], ['tributary-api.key-revoked', ['SCRAM-SHA-256', 'SCRAM-SHA-512']]]), acls: [], quotas: [] };
    const plan = planAccess({ users: [], acls: [], quotas: [], apiPrincipals: ['tributary-api.key-live', 'tributary-api.key-unused'] }, live);
    expect(plan.deleteUsers).toEqual([{ user: 'tributary-api.key-revoked', mechanism: 'SCRAM-SHA-256' }, { user: 'tributary-api.key-revoked', mechanism: 'SCRAM-SHA-512' }]);
    // No live keys known at all (an account whose keys were all revoked): every API principal goes.
    expect(planAccess({ users: [], acls: [], quotas: [], apiPrincipals: [] }, live).deleteUsers.map((d) => d.user)).toEqual(['tributary-api.key-live', 'tributary-api.key-revoked', 'tributary-api.key-revoked']);
  });

  it('creates missing ACLs and deletes ACLs added behind the control plane', () => {
    const plan = planAccess({ users: [], acls: [acl(), acl({ operation: 'WRITE' })], quotas: [] }, { users: new Map(), acls: [acl(), acl({ principal: 'User:x' })], quotas: [] });
    expect(plan.createAcls).toEqual([acl({ operation: 'WRITE' })]);
    expect(plan.deleteAcls).toEqual([acl({ principal: 'User:x' })]);
  });

  it('sets differing quota values, removes stray keys and entities, and leaves equal ones alone', () => {
    const plan = planAccess(
      { users: [], acls: [], quotas: [{ entity: { user: 'a' }, values: { producer_byte_rate: 2048 } }, { entity: { group: 'g' }, values: { consumer_byte_rate: 4096 } }, { entity: { clientId: 'same' }, values: { consumer_byte_rate: 1 } }] },
      { users: new Map(), acls: [], quotas: [{ entity: { user: 'a' }, values: { producer_byte_rate: 1024, request_percentage: 50 } }, { entity: { clientId: 'same' }, values: { consumer_byte_rate: 1 } }, { entity: { clientId: 'stray' }, values: { producer_byte_rate: 9 } }] },
    );
    expect(plan.quotaChanges).toEqual([
      { entity: { user: 'a' }, values: { producer_byte_rate: 2048, request_percentage: null } },
      { entity: { group: 'g' }, values: { consumer_byte_rate: 4096 } },
      { entity: { clientId: 'stray' }, values: { producer_byte_rate: null } },
    ]);
  });
});

describe('accessBehind', () => {
  const desired = { users: [user('a')], acls: [acl()], quotas: [{ entity: { user: 'a' }, values: { producer_byte_rate: 2048 } }] };
  it('is null when a broker holds every user, ACL and quota (and nothing removed)', () => {
    expect(accessBehind(desired, { users: new Map([['a', ['SCRAM-SHA-256']]]), acls: [acl()], quotas: [{ entity: { user: 'a' }, values: { producer_byte_rate: 2048 } }] })).toBeNull();
  });
  it('names what a broker that has not yet seen the change lacks or still holds', () => {
    expect(accessBehind(desired, { users: new Map([['gone', ['SCRAM-SHA-512']]]), acls: [acl({ principal: 'User:gone' })], quotas: [] })).toBe('users a missing, 1 removed credential(s) still present, 1 ACL(s) missing, 1 removed ACL(s) still present, 1 quota(s) differ');
  });
});
