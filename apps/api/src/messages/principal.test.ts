import { describe, expect, it } from 'vitest';
import { SecretBox } from '@tributary/db';
import { KafkaUserCreateSchema } from '@tributary/contracts';
import { PrincipalSessions, kafkaUserOf } from './principal.ts';

describe('API keys\' Kafka principals', () => {
  it('are named after the key and get a password every API process derives alike, never stored', () => {
    const key = Buffer.alloc(32, 3);
    const a = new PrincipalSessions(new SecretBox(key));
    const b = new PrincipalSessions(new SecretBox(key));
    const user = kafkaUserOf({ keyId: 'key-00ff', accountId: 'acc-1', role: 'viewer' });
    expect(user).toBe('tributary-api.key-00ff');
    expect(a.credentials('ins-1', user)).toEqual(b.credentials('ins-1', user));
    // Per instance and per principal, and another deployment key gives another password.
    expect(a.credentials('ins-2', user).password).not.toBe(a.credentials('ins-1', user).password);
    expect(a.credentials('ins-1', 'tributary-api.key-00fe').password).not.toBe(a.credentials('ins-1', user).password);
    expect(new PrincipalSessions(SecretBox.generate()).credentials('ins-1', user).password).not.toBe(a.credentials('ins-1', user).password);
    a.close();
    b.close();
  });
  it('cannot be taken by a SCRAM user created through the API', () => {
    const r = KafkaUserCreateSchema.safeParse({ name: 'tributary-api.key-00ff', password: 'correct horse battery staple' });
    expect(r.success).toBe(false);
    expect(KafkaUserCreateSchema.safeParse({ name: 'tributary-apis', password: 'correct horse battery staple' }).success).toBe(true);
  });
});
