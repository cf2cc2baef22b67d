import { DecodeError, EncodeError } from './decode-error.ts';
import { Reader } from './reader.ts';
import { Writer } from './writer.ts';

/** Support code for the generated codecs (src/generated). */

export const ZERO_UUID = '00000000-0000-0000-0000-000000000000';
export const EMPTY_BYTES: Buffer = Buffer.alloc(0);

export interface TaggedField {
  tag: number;
  data: Buffer;
}
export type TaggedWrite = [tag: number, write: (w: Writer) => void];
export const NO_TAGS: readonly TaggedWrite[] = Object.freeze([]);

/**
 * What an encoder accepts: any field may be left out and takes its default (as Kafka's generated
 * classes start from defaults); records may be given as several buffers.
 */
export type Encodable<T> = T extends Buffer
  ? T
  : T extends (infer E)[]
    ? Encodable<E>[]
    : T extends object
      ? { [K in keyof T]?: K extends '_unknownTaggedFields' ? T[K] : Encodable<T[K]> }
      : T;

export function nonNull<T>(value: T | null | undefined, field: string): T {
  if (value === null || value === undefined) throw new EncodeError('invalid-value', `${field} must not be null in this version`);
  return value;
}

export function unsupportedField(api: string, field: string, version: number): never {
  throw new EncodeError(
    field ? 'unsupported-field' : 'unsupported-version',
    field ? `${api} v${version} cannot carry a non-default ${field}` : `${api} has no version ${version}`,
  );
}

export function writeArray<T>(w: Writer, arr: T[] | null, compact: boolean, nullable: boolean, field: string, each: (w: Writer, e: T) => void): void {
  if (arr === null) {
    if (!nullable) throw new EncodeError('invalid-value', `${field} must not be null in this version`);
    w.arrayLength(null, compact);
    return;
  }
  w.arrayLength(arr.length, compact);
  for (let i = 0; i < arr.length; i++) each(w, arr[i]!);
}

/** `writeArray` for int32 elements, written in one bounds check. */
export function writeInt32Array(w: Writer, arr: readonly number[] | null, compact: boolean, nullable: boolean, field: string): void {
  if (arr === null) {
    if (!nullable) throw new EncodeError('invalid-value', `${field} must not be null in this version`);
    w.arrayLength(null, compact);
    return;
  }
  w.arrayLength(arr.length, compact);
  w.int32s(arr);
}

export function writeNullableStruct<T>(w: Writer, value: T | null, nullable: boolean, field: string, write: (w: Writer, v: T) => void): void {
  if (value === null) {
    if (!nullable) throw new EncodeError('invalid-value', `${field} must not be null in this version`);
    w.int8(-1);
    return;
  }
  if (nullable) w.int8(1);
  write(w, value);
}

/**
 * A nullable struct inside a tagged field: Kafka marks its presence with an unsigned varint (0 null,
 * 1 present; the tagged field's size counts the marker), not with the int8 (-1/1) of a regular field.
 */
export function writeTaggedNullableStruct<T>(w: Writer, value: T | null, nullable: boolean, field: string, write: (w: Writer, v: T) => void): void {
  if (value === null) {
    if (!nullable) throw new EncodeError('invalid-value', `${field} must not be null in this version`);
    w.uvarint(0);
    return;
  }
  if (nullable) w.uvarint(1);
  write(w, value);
}

/** Reads a tagged-field section; `known` consumes a tag it understands and returns true. */
export function readTaggedFields(r: Reader, m: { _unknownTaggedFields?: TaggedField[] }, known: (tag: number) => boolean): void {
  const outer = r.field;
  r.field = '_tagged';
  const count = r.uvarint();
  let lastTag = -1;
  for (let i = 0; i < count; i++) {
    r.field = '_tagged';
    const tag = r.uvarint();
    if (tag <= lastTag) r.fail('invalid-value', `tagged field ${tag} out of order`);
    lastTag = tag;
    const size = r.uvarint();
    if (size > r.remaining) r.fail('length-exceeds-buffer', `tagged field ${tag} claims ${size} bytes, ${r.remaining} left`);
    const end = r.pos + size;
    if (known(tag)) {
      if (r.pos !== end) r.fail('invalid-value', `tagged field ${tag} declared ${size} bytes but used ${size - (end - r.pos)}`);
    } else {
      (m._unknownTaggedFields ??= []).push({ tag, data: r.raw(size) });
    }
  }
  r.field = outer;
}

export function writeTaggedFields(w: Writer, tags: readonly TaggedWrite[], unknown: TaggedField[] | undefined): void {
  if (tags.length === 0 && (unknown === undefined || unknown.length === 0)) {
    w.uvarint(0);
    return;
  }
  const all: TaggedWrite[] = [...tags];
  for (const u of unknown ?? []) all.push([u.tag, (w) => w.raw(u.data)]);
  all.sort((a, b) => a[0] - b[0]);
  w.uvarint(all.length);
  for (const [tag, write] of all) {
    const body = new Writer(64);
    write(body);
    w.uvarint(tag);
    w.uvarint(body.length);
    for (const chunk of body.chunks()) w.raw(chunk);
  }
}

/** Structural equality for defaults of tagged fields (structs, arrays, buffers, bigints). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Buffer.isBuffer(a) || Buffer.isBuffer(b)) return Buffer.isBuffer(a) && Buffer.isBuffer(b) && a.equals(b);
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

export function decodeMessage<T>(
  input: Buffer | Reader,
  version: number,
  api: string,
  versions: { min: number; max: number },
  read: (r: Reader, v: number) => T,
): T {
  const r = Buffer.isBuffer(input) ? new Reader(input) : input;
  try {
    if (!Number.isInteger(version) || version < versions.min || version > versions.max) {
      throw new DecodeError('unsupported-version', `version ${version} is outside ${versions.min}-${versions.max}`, r.pos);
    }
    return read(r, version);
  } catch (err) {
    if (err instanceof DecodeError) {
      err.api ??= api;
      err.version ??= version;
      err.locate();
    }
    throw err;
  }
}
