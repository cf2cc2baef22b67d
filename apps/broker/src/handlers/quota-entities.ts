import { type QuotaEntity } from '../quota/quota-store.ts';


export const ENTITY_TYPES = { user: 'user', 'client-id': 'clientId', 'consumer-group': 'group', ip: 'ip' } as const;

// Kafka types the byte rates as LONG (a fractional value is refused) and the percentages/mutation rate as DOUBLE.
export const WHOLE_NUMBER_KEYS: ReadonlySet<string> = new Set(['producer_byte_rate', 'consumer_byte_rate', 'group_max_members', 'connection_creation_rate']);
// Kafka types an ip's connection_creation_rate INT: past 2^31 - 1 is refused.
export const INT_KEYS: ReadonlySet<string> = new Set(['connection_creation_rate']);

export const MATCH_EXACT = 0;

export const MATCH_DEFAULT = 1;

export const MATCH_ANY = 2; // only requires the entity type to be present

/** The wire form of an entity: [{entityType, entityName}] with null names for `<default>`. */
export function toWire(e: QuotaEntity) {
  if (e.group !== undefined) return [{ entityType: 'consumer-group', entityName: e.group }];
  if (e.ip !== undefined) return [{ entityType: 'ip', entityName: e.ip }];
  return [...(e.user !== undefined ? [{ entityType: 'user', entityName: e.user }] : []), ...(e.clientId !== undefined ? [{ entityType: 'client-id', entityName: e.clientId }] : [])];
}
