import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Parsed form of one of Apache Kafka's message definition files. */
export interface FieldSpec {
  name: string;
  type: string;
  versions: string;
  nullableVersions?: string;
  taggedVersions?: string;
  tag?: number;
  default?: string | number | boolean;
  ignorable?: boolean;
  flexibleVersions?: string;
  fields?: FieldSpec[];
  about?: string;
}

export interface StructSpec {
  name: string;
  versions: string;
  fields: FieldSpec[];
}

export interface MessageSpec {
  apiKey?: number;
  type: 'request' | 'response' | 'header' | 'data' | 'metadata' | 'coordinator-key' | 'coordinator-value';
  name: string;
  validVersions: string;
  flexibleVersions: string;
  listeners?: string[];
  latestVersionUnstable?: boolean;
  fields: FieldSpec[];
  commonStructs?: StructSpec[];
}

/** Inclusive version range; `hi` is Infinity for "N+", and lo > hi for "none". */
export interface VersionRange {
  lo: number;
  hi: number;
}

export const NONE: VersionRange = { lo: 1, hi: 0 };

export function parseVersions(text: string | undefined): VersionRange {
  if (text === undefined || text === 'none' || text === '') return NONE;
  const plus = /^(\d+)\+$/.exec(text);
  if (plus) return { lo: Number(plus[1]), hi: Infinity };
  const range = /^(\d+)-(\d+)$/.exec(text);
  if (range) return { lo: Number(range[1]), hi: Number(range[2]) };
  if (/^\d+$/.test(text)) return { lo: Number(text), hi: Number(text) };
  throw new Error(`unparseable version range "${text}"`);
}

export function isEmpty(r: VersionRange): boolean {
  return r.lo > r.hi;
}

/** Kafka's JSON files carry `//` line comments (the license header among them). */
export function parseSpecText(text: string): MessageSpec {
  const withoutComments = text.replace(/^\s*\/\/.*$/gm, '');
  const spec = JSON.parse(withoutComments) as MessageSpec;
  for (const f of spec.fields ?? []) withTaggedVersions(f);
  for (const s of spec.commonStructs ?? []) for (const f of s.fields) withTaggedVersions(f);
  return spec;
}

/**
 * A tagged field may omit "versions": Kafka's generator (FieldSpec) then takes its taggedVersions
 * (TransactionLogValue's PreviousProducerId, NextProducerId and ClientTransactionVersion do).
 */
function withTaggedVersions(f: FieldSpec): void {
  if (f.versions === undefined && f.taggedVersions !== undefined) f.versions = f.taggedVersions;
  for (const c of f.fields ?? []) withTaggedVersions(c);
}

export function loadSpecs(dir: string): MessageSpec[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => parseSpecText(readFileSync(join(dir, f), 'utf8')));
}
