import { describe, expect, it } from 'vitest';
import { AclOperation as Op, PatternType, Permission, ResourceType, type AclBinding } from './acl.ts';
import type { AclStore } from './acl-store.ts';
import { Authorizer } from './authorizer.ts';

// An in-memory AclStore: the authorizer is pure logic over bindings; the file store is tested through the broker.
const storeOf = (acls: AclBinding[]): AclStore => ({ all: () => acls, add: () => undefined, remove: () => [] });
const acl = (over: Partial<AclBinding>): AclBinding => ({ resourceType: ResourceType.TOPIC, resourceName: 'orders', patternType: PatternType.LITERAL, principal: 'User:alice', host: '*', operation: Op.READ, permission: Permission.ALLOW, ...over });
const alice = { principal: 'User:alice', host: '10.0.0.1', listener: 'SASL_SSL' };
const bob = { principal: 'User:bob', host: '10.0.0.2', listener: 'SASL_SSL' };
const closed = () => false;

describe('Authorizer', () => {
  it('allows what an ALLOW grants and nothing else', () => {
    const a = new Authorizer(storeOf([acl({})]), [], closed);
    expect(a.authorize(alice, Op.READ, ResourceType.TOPIC, 'orders')).toBe(true);
    expect(a.authorize(alice, Op.WRITE, ResourceType.TOPIC, 'orders')).toBe(false);
    expect(a.authorize(bob, Op.READ, ResourceType.TOPIC, 'orders')).toBe(false);
    expect(a.authorize(alice, Op.READ, ResourceType.GROUP, 'orders')).toBe(false);
  });

  it('implies DESCRIBE from READ/WRITE/DELETE/ALTER and DESCRIBE_CONFIGS from ALTER_CONFIGS; ALL grants everything', () => {
    for (const op of [Op.READ, Op.WRITE, Op.DELETE, Op.ALTER]) expect(new Authorizer(storeOf([acl({ operation: op })]), [], closed).authorize(alice, Op.DESCRIBE, ResourceType.TOPIC, 'orders')).toBe(true);
    expect(new Authorizer(storeOf([acl({ operation: Op.CREATE })]), [], closed).authorize(alice, Op.DESCRIBE, ResourceType.TOPIC, 'orders')).toBe(false);
    expect(new Authorizer(storeOf([acl({ operation: Op.ALTER_CONFIGS })]), [], closed).authorize(alice, Op.DESCRIBE_CONFIGS, ResourceType.TOPIC, 'orders')).toBe(true);
    const all = new Authorizer(storeOf([acl({ operation: Op.ALL })]), [], closed);
    for (const op of [Op.READ, Op.WRITE, Op.DELETE, Op.ALTER_CONFIGS, Op.DESCRIBE]) expect(all.authorize(alice, op, ResourceType.TOPIC, 'orders')).toBe(true);
  });

  it('lets DENY win over ALLOW, including a DENY ALL and a wildcard principal', () => {
    expect(new Authorizer(storeOf([acl({}), acl({ permission: Permission.DENY })]), [], closed).authorize(alice, Op.READ, ResourceType.TOPIC, 'orders')).toBe(false);
    expect(new Authorizer(storeOf([acl({}), acl({ permission: Permission.DENY, operation: Op.ALL, principal: 'User:*' })]), [], closed).authorize(alice, Op.READ, ResourceType.TOPIC, 'orders')).toBe(false);
    // A DENY for another operation does not block this one.
    expect(new Authorizer(storeOf([acl({}), acl({ permission: Permission.DENY, operation: Op.WRITE })]), [], closed).authorize(alice, Op.READ, ResourceType.TOPIC, 'orders')).toBe(true);
  });

  it('matches prefixed patterns, the literal wildcard, and hosts', () => {
    const a = new Authorizer(storeOf([acl({ resourceName: 'orders.', patternType: PatternType.PREFIXED }), acl({ resourceType: ResourceType.GROUP, resourceName: '*' }), acl({ resourceName: 'audit', host: '10.0.0.9' })]), [], closed);
    expect(a.authorize(alice, Op.READ, ResourceType.TOPIC, 'orders.v1')).toBe(true);
    expect(a.authorize(alice, Op.READ, ResourceType.TOPIC, 'orders')).toBe(false);
    expect(a.authorize(alice, Op.READ, ResourceType.GROUP, 'any-group')).toBe(true);
    expect(a.authorize(alice, Op.READ, ResourceType.TOPIC, 'audit')).toBe(false);
    expect(a.authorize({ ...alice, host: '10.0.0.9' }, Op.READ, ResourceType.TOPIC, 'audit')).toBe(true);
    // DENY on a prefix covers every topic under it.
    const denied = new Authorizer(storeOf([acl({ resourceName: 'orders.v1' }), acl({ resourceName: 'orders.', patternType: PatternType.PREFIXED, permission: Permission.DENY })]), [], closed);
    expect(denied.authorize(alice, Op.READ, ResourceType.TOPIC, 'orders.v1')).toBe(false);
  });

  it('lets super users do anything, and opens ACL-less resources only where allow.everyone.if.no.acl.found says so', () => {
    expect(new Authorizer(storeOf([acl({ permission: Permission.DENY })]), ['User:alice'], closed).authorize(alice, Op.READ, ResourceType.TOPIC, 'orders')).toBe(true);
    const byListener = new Authorizer(storeOf([acl({})]), [], (listener) => listener === 'PLAINTEXT');
    expect(byListener.authorize({ ...bob, listener: 'PLAINTEXT' }, Op.WRITE, ResourceType.TOPIC, 'no-acls-here')).toBe(true);
    expect(byListener.authorize(bob, Op.WRITE, ResourceType.TOPIC, 'no-acls-here')).toBe(false);
    // Once a resource has ACLs, the no-ACL rule no longer applies to it.
    expect(byListener.authorize({ ...bob, listener: 'PLAINTEXT' }, Op.READ, ResourceType.TOPIC, 'orders')).toBe(false);
  });

  it('trusts every connection on a trusted listener and nobody elsewhere, whatever the principal is called', () => {
    const a = new Authorizer(storeOf([acl({ permission: Permission.DENY, principal: 'User:*', operation: Op.ALL })]), [], closed, ['INTERNAL']);
    const internal = { principal: 'User:ANONYMOUS', host: '127.0.0.1', listener: 'INTERNAL' };
    expect(a.authorize(internal, Op.WRITE, ResourceType.TOPIC, 'orders')).toBe(true);
    expect(a.authorize(internal, Op.ALTER, ResourceType.CLUSTER, 'kafka-cluster')).toBe(true);
    expect(a.mayWriteSomeTopic(internal)).toBe(true);
    // The same principal name on a client listener (a SCRAM user called ANONYMOUS) gets nothing from it.
    const client = { ...internal, listener: 'SASL_PLAINTEXT' };
    expect(a.authorize(client, Op.WRITE, ResourceType.TOPIC, 'orders')).toBe(false);
    expect(a.authorize(client, Op.ALTER, ResourceType.CLUSTER, 'kafka-cluster')).toBe(false);
    expect(a.mayWriteSomeTopic(client)).toBe(false);
  });

  it('grants idempotent writes to principals that may write some topic (KIP-679) unless a DENY covers it', () => {
    expect(new Authorizer(storeOf([acl({ operation: Op.WRITE, resourceName: 'x.', patternType: PatternType.PREFIXED })]), [], closed).mayWriteSomeTopic(alice)).toBe(true);
    expect(new Authorizer(storeOf([acl({ operation: Op.READ })]), [], closed).mayWriteSomeTopic(alice)).toBe(false);
    expect(new Authorizer(storeOf([acl({ operation: Op.WRITE }), acl({ operation: Op.WRITE, resourceName: '*', permission: Permission.DENY })]), [], closed).mayWriteSomeTopic(alice)).toBe(false);
  });
});
