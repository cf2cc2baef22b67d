/**
 * Search filters (pure): parsed once per request into a predicate over records, all filters
 * combined with AND. Cheap byte comparisons run first (key, headers, value bytes), JSON parsing
 * last and only for records the others let through.
 */
export interface SearchFilters {
  key?: { equals?: string | undefined; prefix?: string | undefined; encoding?: 'text' | 'base64' | undefined } | undefined;
  header?: { name: string; value?: string | undefined } | undefined;
  valueContains?: string | undefined;
  jsonPath?: { path: string; equals: unknown } | undefined;
}

export interface FilterableRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers: { key: string; value: Buffer | null }[];
}

/** One step of a JSON path: an object member or an array index. */
export type PathStep = string | number;

/**
 * A small JSON path: `$`, then `.name`, `['name']` / `["name"]` or `[index]` steps. No wildcards,
 * filters or recursive descent: a search compares one value per record. Returns the steps, or a
 * message naming what is wrong.
 */
export function parseJsonPath(path: string): PathStep[] | string {
  if (!path.startsWith('$')) return 'a JSON path starts with $';
  const steps: PathStep[] = [];
  let i = 1;
  while (i < path.length) {
    const c = path[i];
    if (c === '.') {
      const m = /^[A-Za-z_$][\w$-]*/.exec(path.slice(i + 1));
      if (!m) return `expected a member name after "." at character ${i + 1}`;
      steps.push(m[0]);
      i += 1 + m[0].length;
    } else if (c === '[') {
      const rest = path.slice(i);
      const index = /^\[(\d{1,9})\]/.exec(rest);
      const quoted = /^\[(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")\]/.exec(rest);
      if (index) {
        steps.push(Number(index[1]));
        i += index[0].length;
      } else if (quoted) {
        steps.push((quoted[1] ?? quoted[2]!).replace(/\\(.)/g, '$1'));
        i += quoted[0].length;
      } else return `expected [index] or ['name'] at character ${i + 1}`;
    } else return `unexpected "${c}" at character ${i + 1}`;
    if (steps.length > 32) return 'a JSON path has at most 32 steps';
  }
  return steps;
}

export function valueAt(doc: unknown, steps: PathStep[]): { found: boolean; value: unknown } {
  let cur = doc;
  for (const s of steps) {
    if (typeof s === 'number') {
      if (!Array.isArray(cur) || s >= cur.length) return { found: false, value: undefined };
      cur = cur[s];
    } else {
      if (cur === null || typeof cur !== 'object' || Array.isArray(cur) || !Object.hasOwn(cur, s)) return { found: false, value: undefined };
      cur = (cur as Record<string, unknown>)[s];
    }
  }
  return { found: true, value: cur };
}

/** Deep equality of JSON values (object member order does not matter). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === (b as unknown[]).length && a.every((x, i) => jsonEqual(x, (b as unknown[])[i]));
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

export interface FieldProblem { path: string; message: string }

/** Builds the predicate, or lists every malformed filter with its path under `/filters`. */
export function compileFilters(f: SearchFilters): { ok: true; test: (r: FilterableRecord) => boolean } | { ok: false; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const tests: ((r: FilterableRecord) => boolean)[] = [];
  if (f.key) {
    const { equals, prefix, encoding = 'text' } = f.key;
    if ((equals === undefined) === (prefix === undefined)) problems.push({ path: '/filters/key', message: 'give exactly one of equals or prefix' });
    const bytes = (s: string, path: string): Buffer | null => {
      if (encoding === 'text') return Buffer.from(s, 'utf8');
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) {
        problems.push({ path, message: 'not standard base64' });
        return null;
      }
      return Buffer.from(s, 'base64');
    };
    if (equals !== undefined) {
      const want = bytes(equals, '/filters/key/equals');
      if (want) tests.push((r) => r.key !== null && r.key.equals(want));
    } else if (prefix !== undefined) {
      const want = bytes(prefix, '/filters/key/prefix');
      if (want) tests.push((r) => r.key !== null && r.key.length >= want.length && r.key.subarray(0, want.length).equals(want));
    }
  }
  if (f.header) {
    const { name, value } = f.header;
    const want = value === undefined ? null : Buffer.from(value, 'utf8');
    tests.push((r) => r.headers.some((h) => h.key === name && (want === null || (h.value !== null && h.value.equals(want)))));
  }
  if (f.valueContains !== undefined) {
    if (f.valueContains.length === 0) problems.push({ path: '/filters/valueContains', message: 'must not be empty' });
    const needle = Buffer.from(f.valueContains, 'utf8');
    tests.push((r) => r.value !== null && r.value.indexOf(needle) >= 0);
  }
  if (f.jsonPath) {
    const steps = parseJsonPath(f.jsonPath.path);
    if (typeof steps === 'string') problems.push({ path: '/filters/jsonPath/path', message: steps });
    else {
      const want = f.jsonPath.equals;
      tests.push((r) => {
        if (r.value === null) return false;
        let doc: unknown;
        try {
          doc = JSON.parse(r.value.toString('utf8'));
        } catch {
          return false;
        }
        const at = valueAt(doc, steps);
        return at.found && jsonEqual(at.value, want);
      });
    }
  }
  if (!f.key && !f.header && f.valueContains === undefined && !f.jsonPath) problems.push({ path: '/filters', message: 'give at least one filter: key, header, valueContains or jsonPath' });
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, test: (r) => tests.every((t) => t(r)) };
}
