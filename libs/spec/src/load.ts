import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import type { z } from 'zod';
import { SpecFileSchema, type InstanceDecl, type SpecFile } from './format.ts';

/** Where something is in a spec file (1-based line and column). */
export interface Position { file: string; line: number; column: number }

/** One problem in the spec files: file:line:column, the JSON path, the message. */
export interface SpecIssue extends Position { path: string; message: string }

export class SpecError extends Error {
  readonly issues: SpecIssue[];
  constructor(issues: SpecIssue[]) {
    super(issues.map(formatIssue).join('\n'));
    this.issues = issues;
  }
}
export const formatIssue = (i: SpecIssue) => `${i.file}:${i.line}:${i.column}: ${i.path ? `${i.path}: ` : ''}${i.message}`;

/** The declared state of a stack, read from one or more files, with where each instance was declared. */
export interface LoadedSpec {
  stack: string;
  instances: InstanceDecl[];
  /** The directory or file each instance came from, for relative `{file: …}` password references. */
  baseDirOf: Map<string, string>;
  positionOf: Map<string, Position>;
  files: string[];
}

/** `path` is a file or a directory (its *.yaml, *.yml and *.json files, in name order, not recursive). */
export function specFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path).filter((f) => /\.(ya?ml|json)$/.test(f)).sort().map((f) => join(path, f));
}

/** Parses one file's text (YAML, or JSON, which YAML 1.2 reads too) keeping positions, then validates it. */
export function parseSpecText(text: string, file: string): { spec: SpecFile; doc: Document; lines: LineCounter } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const pos = (offset: number): Position => { const p = lines.linePos(offset); return { file, line: p.line, column: p.col }; };
  if (doc.errors.length > 0) {
    throw new SpecError(doc.errors.map((e) => ({ ...pos(e.pos[0]), path: '', message: e.message.split('\n')[0]! })));
  }
  const parsed = SpecFileSchema.safeParse(doc.toJS());
  if (!parsed.success) throw new SpecError(parsed.error.issues.map((issue) => issueAt(doc, issue, pos)));
  return { spec: parsed.data, doc, lines };
}

/** Places a zod issue on the YAML node it is about (or its nearest existing parent). */
function issueAt(doc: Document, issue: z.core.$ZodIssue, pos: (offset: number) => Position): SpecIssue {
  const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
  let keys = path;
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') {
    keys = [...path, issue.keys[0]!];
    message = `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
  }
  const jsonPath = '/' + keys.map((k) => String(k).replaceAll('~', '~0').replaceAll('/', '~1')).join('/');
  for (let n = keys.length; n >= 0; n--) {
    const node = nodeAt(doc, keys.slice(0, n), issue.code === 'unrecognized_keys' && n === keys.length);
    if (node?.range) return { ...pos(node.range[0]), path: keys.length ? jsonPath : '', message };
  }
  return { ...pos(0), path: jsonPath, message };
}

/** The node at a path; `keyNode` answers the key of the last step instead of its value. */
function nodeAt(doc: Document, keys: (string | number)[], keyNode: boolean): YamlNode | undefined {
  let node: unknown = doc.contents;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(k));
      if (!pair) return undefined;
      node = keyNode && i === keys.length - 1 ? pair.key : pair.value;
    } else if (isSeq(node) && typeof k === 'number') {
      node = node.items[k];
    } else return undefined;
  }
  return node as YamlNode | undefined;
}

/**
 * Loads every spec file under `path` into one declared state. All files must name the same stack;
 * an instance declared twice, or a topic/user/quota declared twice in one instance, is an error
 * pointing at the second declaration.
 */
export function loadSpec(path: string, cwd = process.cwd()): LoadedSpec {
  const files = specFiles(path);
  if (files.length === 0) throw new SpecError([{ file: path, line: 1, column: 1, path: '', message: 'no *.yaml, *.yml or *.json spec files here' }]);
  const issues: SpecIssue[] = [];
  let stack: { name: string; at: Position } | undefined;
  const instances: InstanceDecl[] = [];
  const positionOf = new Map<string, Position>();
  const baseDirOf = new Map<string, string>();
  for (const file of files) {
    const shown = relative(cwd, file) || file;
    let loaded: ReturnType<typeof parseSpecText>;
    try {
      loaded = parseSpecText(readFileSync(file, 'utf8'), shown);
    } catch (err) {
      if (err instanceof SpecError) { issues.push(...err.issues); continue; }
      throw err;
    }
    const { spec, doc, lines } = loaded;
    const at = (keys: (string | number)[]): Position => {
      const node = nodeAt(doc, keys, false);
      const p = lines.linePos(node?.range?.[0] ?? 0);
      return { file: shown, line: p.line, column: p.col };
    };
    if (stack === undefined) stack = { name: spec.stack, at: at(['stack']) };
    else if (spec.stack !== stack.name) issues.push({ ...at(['stack']), path: '/stack', message: `stack "${spec.stack}" differs from "${stack.name}" in ${stack.at.file}:${stack.at.line}; one directory is one stack` });
    spec.instances.forEach((inst, i) => {
      const here = at(['instances', i]);
      const before = positionOf.get(inst.name);
      if (before) { issues.push({ ...here, path: `/instances/${i}/name`, message: `instance "${inst.name}" is already declared at ${before.file}:${before.line}:${before.column}` }); return; }
      positionOf.set(inst.name, here);
      baseDirOf.set(inst.name, statSync(file).isDirectory() ? file : join(file, '..'));
      for (const [list, keyOf] of [
        ['topics', (x: { name: string }) => x.name], ['users', (x: { name: string }) => x.name], ['consumerGroupQuotas', (x: { group: string }) => x.group],
        ['clientQuotas', (x: { user?: string; clientId?: string }) => `user=${x.user ?? '<default>'};client-id=${x.clientId ?? '<default>'}`],
        ['acls', (x: Record<string, unknown>) => JSON.stringify(x)],
      ] as const) {
        const seen = new Set<string>();
        (inst[list] as never[]).forEach((item, j) => {
          const key = (keyOf as (x: never) => string)(item);
          if (seen.has(key)) issues.push({ ...at(['instances', i, list, j]), path: `/instances/${i}/${list}/${j}`, message: `declared twice in instance "${inst.name}"` });
          seen.add(key);
        });
      }
      instances.push(inst);
    });
  }
  if (issues.length > 0) throw new SpecError(issues);
  return { stack: stack!.name, instances, positionOf, baseDirOf, files };
}
