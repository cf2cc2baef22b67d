/**
 * Merges two editions of one Apache Kafka message spec: the newer one (Kafka 4.4) with the
 * versions it dropped (KIP-896 removed old protocol versions in Kafka 4.0) restored from the
 * older one. Tributary still answers those old versions (Produce v0–2, Fetch v0–3, OffsetCommit
 * v0–1 ...), so its codecs must keep them while gaining the new ones (Produce v12, EndTxn v5 ...).
 *
 * The rule: versions the newer spec has are exactly the newer spec; versions below its range are
 * exactly the older spec. `wireShape` states that as data and `checkMerge` proves it per version,
 * so a merge that cannot keep both (a field whose presence would need two ranges) fails loudly.
 */
import { isEmpty, parseVersions, type FieldSpec, type MessageSpec, type VersionRange } from './spec-model.ts';

export class MergeError extends Error {
  readonly spec: string;
  constructor(spec: string, message: string) {
    super(`${spec}: ${message}`);
    this.spec = spec;
  }
}

function inRange(r: VersionRange, v: number): boolean {
  return v >= r.lo && v <= r.hi;
}

function formatRange(r: VersionRange): string {
  if (isEmpty(r)) return 'none';
  if (r.hi === Infinity) return `${r.lo}+`;
  return r.lo === r.hi ? `${r.lo}` : `${r.lo}-${r.hi}`;
}

/**
 * The versions in which a property holds: those of `older` below `cut`, those of `newer` from
 * `cut` on. Throws when the union is not one range (the spec format cannot say it).
 */
function spliceRange(spec: string, what: string, older: VersionRange, newer: VersionRange, cut: number): VersionRange {
  const low: VersionRange = { lo: older.lo, hi: Math.min(older.hi, cut - 1) };
  const high: VersionRange = { lo: Math.max(newer.lo, cut), hi: newer.hi };
  if (isEmpty(low)) return high;
  if (isEmpty(high)) {
    // Nothing from cut on: the older range must not reach past cut-1 in the newer spec either.
    return low;
  }
  if (low.hi + 1 !== high.lo) throw new MergeError(spec, `${what}: versions ${formatRange(low)} (older) and ${formatRange(high)} (newer) are not one range`);
  return { lo: low.lo, hi: high.hi };
}

function mergeField(spec: string, path: string, older: FieldSpec | undefined, newer: FieldSpec | undefined, cut: number): FieldSpec {
  if (newer === undefined) {
    // Only the older spec has it: it exists below cut only.
    const o = older as FieldSpec;
    const range = parseVersions(o.versions);
    if (range.hi >= cut) throw new MergeError(spec, `${path} is gone from the newer spec but existed at v${cut}+`);
    return o;
  }
  if (older === undefined) {
    const range = parseVersions(newer.versions);
    if (range.lo < cut) throw new MergeError(spec, `${path} is new but claims versions below v${cut}`);
    return newer;
  }
  if (older.type !== newer.type) throw new MergeError(spec, `${path} changed type ${older.type} → ${newer.type}`);
  const merged: FieldSpec = { ...newer, versions: formatRange(spliceRange(spec, `${path}.versions`, parseVersions(older.versions), parseVersions(newer.versions), cut)) };
  for (const key of ['nullableVersions', 'taggedVersions', 'flexibleVersions'] as const) {
    if (older[key] === undefined && newer[key] === undefined) continue;
    // A field's flexibleVersions "none" differs from an absent one (which means the message's):
    // the key is kept whenever a source has it.
    if (key === 'flexibleVersions' && older[key] !== newer[key]) throw new MergeError(spec, `${path}.flexibleVersions changed ${older[key]} → ${newer[key]}`);
    merged[key] = formatRange(spliceRange(spec, `${path}.${key}`, parseVersions(older[key]), parseVersions(newer[key]), cut));
  }
  if (older.fields !== undefined || newer.fields !== undefined) merged.fields = mergeFields(spec, path, older.fields ?? [], newer.fields ?? [], cut);
  return merged;
}

/** The newer list's order, with fields only the older list has put back after their older predecessor. */
function mergeFields(spec: string, path: string, older: FieldSpec[], newer: FieldSpec[], cut: number): FieldSpec[] {
  const olderByName = new Map(older.map((f) => [f.name, f]));
  const newerNames = new Set(newer.map((f) => f.name));
  const out: FieldSpec[] = newer.map((f) => mergeField(spec, `${path}.${f.name}`, olderByName.get(f.name), f, cut));
  for (let i = 0; i < older.length; i++) {
    const f = older[i] as FieldSpec;
    if (newerNames.has(f.name)) continue;
    const before = older.slice(0, i).reverse().find((p) => out.some((o) => o.name === p.name));
    const at = before === undefined ? 0 : out.findIndex((o) => o.name === before.name) + 1;
    out.splice(at, 0, mergeField(spec, `${path}.${f.name}`, f, undefined, cut));
  }
  return out;
}

/** Kafka 4.4's spec with the versions below its range taken from the older spec. */
export function mergeSpecs(older: MessageSpec, newer: MessageSpec): MessageSpec {
  const o = parseVersions(older.validVersions);
  const n = parseVersions(newer.validVersions);
  if (isEmpty(n)) return older; // Kafka 4.4 removed the API (LeaderAndIsr ...): keep what we had
  if (isEmpty(o) || o.lo >= n.lo) return newer;
  const cut = n.lo;
  const merged: MessageSpec = {
    ...newer,
    validVersions: formatRange({ lo: o.lo, hi: n.hi }),
    flexibleVersions: formatRange(spliceRange(newer.name, 'flexibleVersions', parseVersions(older.flexibleVersions), parseVersions(newer.flexibleVersions), cut)),
    fields: mergeFields(newer.name, newer.name, older.fields, newer.fields, cut),
  };
  if (older.commonStructs !== undefined || newer.commonStructs !== undefined) {
    const olderStructs = new Map((older.commonStructs ?? []).map((s) => [s.name, s]));
    const structs = (newer.commonStructs ?? []).map((s) => {
      const os = olderStructs.get(s.name);
      return os === undefined ? s : { ...s, fields: mergeFields(newer.name, s.name, os.fields, s.fields, cut) };
    });
    for (const s of older.commonStructs ?? []) if (!structs.some((m) => m.name === s.name)) structs.push(s);
    merged.commonStructs = structs;
  }
  return merged;
}

/**
 * What goes on the wire at one version, as a string: each present field's name, type, whether it
 * is nullable or tagged (and its tag) and its default, nested structs recursively. Two specs with
 * equal shapes at a version generate codecs that read and write the same bytes at that version.
 */
export function wireShape(spec: MessageSpec, v: number): string {
  if (!inRange(parseVersions(spec.validVersions), v)) return 'invalid';
  const structs = new Map((spec.commonStructs ?? []).map((s) => [s.name, s.fields]));
  const shape = (fields: FieldSpec[]): string =>
    fields
      .filter((f) => inRange(parseVersions(f.versions), v))
      .map((f) => {
        const tagged = inRange(parseVersions(f.taggedVersions), v) ? `@${f.tag}` : '';
        const nullable = inRange(parseVersions(f.nullableVersions), v) ? '?' : '';
        const classic = f.flexibleVersions !== undefined && !inRange(parseVersions(f.flexibleVersions), v) ? '!flex' : '';
        const element = f.type.replace(/^\[\]/, '');
        const children = f.fields ?? structs.get(element);
        return `${f.name}:${f.type}${nullable}${tagged}${classic}=${String(f.default ?? '')}${children === undefined ? '' : `{${shape(children)}}`}`;
      })
      .join(',');
  const flexible = inRange(parseVersions(spec.flexibleVersions), v) ? 'flex ' : '';
  return `${flexible}${shape(spec.fields)}`;
}

/** Every version of the merge reads and writes as its source spec does; returns the mismatches. */
export function checkMerge(older: MessageSpec, newer: MessageSpec, merged: MessageSpec): string[] {
  const m = parseVersions(merged.validVersions);
  const n = parseVersions(newer.validVersions);
  const problems: string[] = [];
  if (isEmpty(m)) return problems;
  for (let v = m.lo; v <= m.hi; v++) {
    const source = inRange(n, v) ? newer : older;
    if (wireShape(merged, v) !== wireShape(source, v)) problems.push(`${merged.name} v${v}: differs from the ${source === newer ? 'newer' : 'older'} spec`);
  }
  return problems;
}
