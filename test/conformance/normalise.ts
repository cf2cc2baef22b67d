import { decodeRecordBatch } from '@tributary/protocol';

/**
 * Turns a decoded response into a plain, comparable value, removing only what legitimately differs
 * between two brokers that behave alike:
 * - throttle times and free-text error messages (Kafka's wording is not part of the protocol's contract);
 * - cluster ids, ports, uuids (topic ids, member-id suffixes) and broker-clock timestamps;
 * - arrays of named things become maps keyed by that name (order of topics, partitions, configs
 *   is not a contract);
 * - record bytes are decoded into batches and records, so compression and offsets are compared,
 *   not the bytes of a CRC over a timestamp.
 * Everything else — error codes, offsets, watermarks, null versus empty — is kept.
 */

const DROP = new Set(['throttleTimeMs', 'errorMessage', 'batchIndexErrorMessage', 'clusterId', '_unknownTaggedFields', 'clientHost']);
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const ZERO_UUID = '00000000-0000-0000-0000-000000000000';
const KEYS = ['name', 'topic', 'topicName', 'resourceName', 'groupId', 'partitionIndex', 'partition', 'index', 'apiKey', 'memberId', 'mechanism', 'user', 'key', 'entityType'];
/** Lists whose order carries no meaning (members of a group whose ids normalise alike, ACLs of a resource, SASL mechanisms). */
const UNORDERED = new Set(['mechanisms', 'acls', 'members']);
const TIME_FIELD = /(timestamp|TimeMs|Timestamp)$/i;

export interface NormaliseOptions {
  /** Broker-clock values fall in [runStart, now + 1 min]: they become '<now>'. Client-chosen timestamps are older. */
  runStart: number;
}

function isBrokerTime(v: number, o: NormaliseOptions): boolean {
  return v >= o.runStart - 5_000 && v <= Date.now() + 60_000;
}

export function decodeBatches(records: Buffer): unknown[] {
  const out: unknown[] = [];
  let at = 0;
  while (at + 12 <= records.length) {
    const len = records.readInt32BE(at + 8);
    const end = at + 12 + len;
    if (end > records.length) {
      out.push({ partialBatch: records.length - at });
      break;
    }
    const magic = records[at + 16];
    if (magic !== 2) {
      out.push({ magic, bytes: end - at });
    } else {
      const b = decodeRecordBatch(records.subarray(at, end));
      out.push({
        baseOffset: b.baseOffset,
        lastOffsetDelta: b.lastOffsetDelta,
        compression: b.attributes & 7,
        timestampType: (b.attributes >> 3) & 1,
        isTransactional: ((b.attributes >> 4) & 1) === 1,
        isControl: ((b.attributes >> 5) & 1) === 1,
        baseTimestamp: b.baseTimestamp,
        maxTimestamp: b.maxTimestamp,
        producerId: b.producerId,
        producerEpoch: b.producerEpoch,
        baseSequence: b.baseSequence,
        partitionLeaderEpoch: b.partitionLeaderEpoch,
        records: b.records.map((r) => ({
          offsetDelta: r.offsetDelta,
          timestampDelta: r.timestampDelta,
          key: r.key === null ? null : Buffer.from(r.key).toString('utf8'),
          value: r.value === null ? null : Buffer.from(r.value).toString('utf8'),
          headers: r.headers.map((h) => [h.key, h.value === null ? null : Buffer.from(h.value).toString('utf8')]),
        })),
      });
    }
    at = end;
  }
  return out;
}

export function normalise(value: unknown, o: NormaliseOptions, key = ''): unknown {
  if (value === null || value === undefined) return value ?? null;
  if (typeof value === 'bigint') {
    const n = Number(value);
    if (TIME_FIELD.test(key) && isBrokerTime(n, o)) return '<now>';
    return n;
  }
  if (typeof value === 'number') {
    if (key === 'port') return '<port>';
    if (TIME_FIELD.test(key) && isBrokerTime(value, o)) return '<now>';
    return value;
  }
  if (typeof value === 'string') {
    if (value === ZERO_UUID) return value;
    return value.replace(UUID, '<uuid>');
  }
  if (Buffer.isBuffer(value) || Array.isArray(value) && value.every((v) => Buffer.isBuffer(v)) && key === 'records') {
    const buf = Array.isArray(value) ? Buffer.concat(value as Buffer[]) : value;
    if (key === 'records') return normalise(decodeBatches(buf), o, 'batches');
    return `0x${buf.toString('hex')}`;
  }
  if (Array.isArray(value)) {
    const items = value.map((v) => normalise(v, o, key));
    if (UNORDERED.has(key)) return [...items].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : JSON.stringify(a) > JSON.stringify(b) ? 1 : 0));
    // Client-quota entries are identified by their entity (a list of type/name pairs).
    if (items.length > 0 && items.every((i) => typeof i === 'object' && i !== null && 'entity' in i)) {
      const id = (i: unknown) => Object.values((i as { entity: Record<string, { entityType: string; entityName: string | null }> }).entity).map((e) => `${e.entityType}:${e.entityName ?? '<default>'}`).sort().join(',');
      return Object.fromEntries(items.map((i) => [`entity=${id(i)}`, i]));
    }
    const k = keyOf(items);
    if (!k) return items;
    return Object.fromEntries(items.map((it) => [`${k}=${String((it as Record<string, unknown>)[k])}`, it]));
  }
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (DROP.has(k)) continue;
      out[k] = normalise(v, o, k);
    }
    return out;
  }
  return value;
}

function keyOf(items: unknown[]): string | null {
  if (items.length === 0 || !items.every((i) => typeof i === 'object' && i !== null && !Array.isArray(i))) return null;
  for (const k of KEYS) {
    const vals = items.map((i) => (i as Record<string, unknown>)[k]);
    if (vals.every((v) => typeof v === 'string' || typeof v === 'number') && new Set(vals).size === vals.length) return k;
  }
  return null;
}

export interface Difference {
  path: string;
  kafka: unknown;
  tributary: unknown;
}

/** Every leaf where the two normalised values differ, with a path like `responses.topic=t.partitions.partitionIndex=0.errorCode`. */
export function diff(kafka: unknown, tributary: unknown, path = ''): Difference[] {
  const isObj = (v: unknown) => typeof v === 'object' && v !== null;
  if (isObj(kafka) && isObj(tributary) && Array.isArray(kafka) === Array.isArray(tributary)) {
    const a = kafka as Record<string, unknown>;
    const b = tributary as Record<string, unknown>;
    if (Array.isArray(a) && a.length !== (b as unknown as unknown[]).length) {
      return [{ path: `${path}.length`, kafka: a.length, tributary: (b as unknown as unknown[]).length }, ...diffKeys(a, b, path)];
    }
    return diffKeys(a, b, path);
  }
  return Object.is(kafka, tributary) ? [] : [{ path: path || '.', kafka: summary(kafka), tributary: summary(tributary) }];
}

function diffKeys(a: Record<string, unknown>, b: Record<string, unknown>, path: string): Difference[] {
  const out: Difference[] = [];
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const p = path ? `${path}.${k}` : k;
    if (!(k in a)) out.push({ path: p, kafka: '<absent>', tributary: summary(b[k]) });
    else if (!(k in b)) out.push({ path: p, kafka: summary(a[k]), tributary: '<absent>' });
    else out.push(...diff(a[k], b[k], p));
  }
  return out;
}

function summary(v: unknown): unknown {
  const s = JSON.stringify(v);
  return s !== undefined && s.length > 300 ? `${s.slice(0, 300)}…` : v;
}
