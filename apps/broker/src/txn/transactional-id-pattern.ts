/**
 * ListTransactions v2's transactional id pattern (KIP-1152). Kafka compiles it with RE2/J and keeps
 * an id when the whole id matches (Matcher.matches); a pattern RE2 refuses answers
 * INVALID_REGULAR_EXPRESSION. This turns the RE2 syntax Kafka's users write into a JavaScript
 * RegExp anchored at both ends, and refuses what RE2 refuses but JavaScript would accept
 * (lookaround, backreferences, atomic groups), so a pattern is not valid here and invalid on Kafka.
 * What neither engine shares beyond that (RE2's \pN classes, [[:alpha:]]) is refused as invalid.
 */
export type IdPattern = { ok: true; matches(id: string): boolean } | { ok: false; reason: string };

const RE2_REFUSES: readonly [RegExp, string][] = [
  [/\(\?<?[=!]/, 'lookaround'],
  [/\\[1-9]/, 'backreference'],
  [/\(\?>/, 'atomic group'],
  [/\\k</, 'named backreference'],
];

/** Null or empty lists every id (Kafka: "if it is empty or null, all transactions are returned"). */
export function compileIdPattern(pattern: string | null): IdPattern {
  if (pattern === null || pattern === '') return { ok: true, matches: () => true };
  for (const [construct, name] of RE2_REFUSES) if (construct.test(pattern)) return { ok: false, reason: `${name} is not RE2 syntax` };
  // RE2's leading flag group (?i) / (?s) applies to the whole pattern: JavaScript spells it as a modifier group.
  const flags = /^\(\?([imsU]+)\)/.exec(pattern);
  let body = flags ? pattern.slice(flags[0].length) : pattern;
  body = body.replace(/\(\?P</g, '(?<').replace(/\\A/g, '^').replace(/\\z/g, '$');
  const jsFlags = flags ? [...new Set(flags[1]!.replace(/[mU]/g, ''))].join('') : '';
  try {
    const inner = jsFlags === '' ? `(?:${body})` : `(?${jsFlags}:${body})`;
    const re = new RegExp(`^${inner}$`);
    return { ok: true, matches: (id) => re.test(id) };
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
}
