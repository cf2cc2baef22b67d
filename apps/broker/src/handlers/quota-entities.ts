import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
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

/**
 * Kafka's check of an `ip` entity's name (ClientQuotaControlManager.isValidIpEntity:
 * InetAddress.getByName): an IPv4 or IPv6 literal, or a host name that resolves. `<default>` (null)
 * is valid. A lookup is bounded, so that a slow resolver cannot hold the request.
 */
export async function isValidIpEntity(name: string | null, lookup: (host: string) => Promise<unknown> = (host) => dnsLookup(host)): Promise<boolean> {
  if (name === null || isIP(name) !== 0) return true;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([lookup(name).then(() => true), new Promise<boolean>((done) => (timer = setTimeout(() => done(false), 2000)))]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
