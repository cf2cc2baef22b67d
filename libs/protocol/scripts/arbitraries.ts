import fc from 'fast-check';
import { isEmpty, parseVersions, type FieldSpec, type MessageSpec, type StructSpec, type VersionRange } from './spec-model.ts';

/**
 * fast-check arbitraries for any message and version, derived from the same spec model the
 * generator reads: a field appears only in the versions that carry it, null only where it is nullable.
 */
function within(v: number, r: VersionRange): boolean {
  return v >= r.lo && v <= r.hi;
}

function camel(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

function collectStructs(spec: MessageSpec): Map<string, StructSpec> {
  const structs = new Map<string, StructSpec>();
  for (const c of spec.commonStructs ?? []) structs.set(c.name, c);
  const walk = (fields: FieldSpec[]) => {
    for (const f of fields) {
      if (f.fields) {
        const name = f.type.replace(/^\[\]/, '');
        if (!structs.has(name)) structs.set(name, { name, versions: f.versions, fields: f.fields });
        walk(f.fields);
      }
    }
  };
  walk(spec.fields);
  for (const c of spec.commonStructs ?? []) walk(c.fields);
  return structs;
}

const hex = '0123456789abcdef';
const uuidArb = fc.array(fc.constantFrom(...hex), { minLength: 32, maxLength: 32 }).map((h) => {
  const s = h.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
});

function primitive(type: string): fc.Arbitrary<unknown> | null {
  switch (type) {
    case 'bool':
      return fc.boolean();
    case 'int8':
      return fc.integer({ min: -128, max: 127 });
    case 'int16':
      return fc.integer({ min: -32768, max: 32767 });
    case 'uint16':
      return fc.integer({ min: 0, max: 65535 });
    case 'int32':
      return fc.integer({ min: -2147483648, max: 2147483647 });
    case 'uint32':
      return fc.integer({ min: 0, max: 4294967295 });
    case 'int64':
      return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
    case 'float64':
      return fc.double({ noNaN: true }).filter((d) => !Object.is(d, -0));
    case 'uuid':
      return uuidArb;
    case 'string':
      return fc.string({ maxLength: 12 });
    case 'bytes':
    case 'records':
      return fc.uint8Array({ maxLength: 24 }).map((u) => Buffer.from(u));
  }
  return null;
}

export function messageArbitrary(spec: MessageSpec, version: number, maxDepth = 4): fc.Arbitrary<Record<string, unknown>> {
  const structs = collectStructs(spec);
  const valueArb = (f: FieldSpec, type: string, depth: number): fc.Arbitrary<unknown> => {
    const p = primitive(type);
    if (p) return p;
    const s = structs.get(type);
    if (!s) throw new Error(`${spec.name}: unknown type ${type}`);
    return structArb(s.fields, depth + 1);
  };
  const fieldArb = (f: FieldSpec, depth: number): fc.Arbitrary<unknown> => {
    const nullable = within(version, parseVersions(f.nullableVersions)) || f.type === 'records';
    let arb: fc.Arbitrary<unknown>;
    if (f.type.startsWith('[]')) {
      const el = f.type.slice(2);
      arb = depth >= maxDepth ? fc.constant([]) : fc.array(valueArb(f, el, depth), { maxLength: 3 });
    } else {
      arb = valueArb(f, f.type, depth);
    }
    return nullable ? fc.option(arb, { nil: null, freq: 4 }) : arb;
  };
  const structArb = (fields: FieldSpec[], depth: number): fc.Arbitrary<Record<string, unknown>> => {
    const shape: Record<string, fc.Arbitrary<unknown>> = {};
    for (const f of fields) {
      const tagged = parseVersions(f.taggedVersions);
      if (!within(version, parseVersions(f.versions))) continue;
      if (!isEmpty(tagged) && !within(version, tagged)) continue;
      if (!isEmpty(tagged) && !within(version, parseVersions(spec.flexibleVersions))) continue;
      shape[camel(f.name)] = fieldArb(f, depth);
    }
    return fc.record(shape) as fc.Arbitrary<Record<string, unknown>>;
  };
  return structArb(spec.fields, 0);
}

export function versionsOf(spec: MessageSpec): number[] {
  const r = parseVersions(spec.validVersions);
  const out: number[] = [];
  for (let v = r.lo; v <= r.hi; v++) out.push(v);
  return out;
}
