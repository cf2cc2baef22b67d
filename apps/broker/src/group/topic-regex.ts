import { RE2JS, RE2JSSyntaxException } from 're2js';

/**
 * A subscription's SubscribedTopicRegex (ConsumerGroupHeartbeat v1) in the syntax Kafka 4.4 reads
 * it in: RE2/J (com.google.re2j.Pattern), through re2js, the JavaScript port of RE2/J. RE2 is not
 * JavaScript's RegExp: no lookaround or backreferences (`a(?=b)` is invalid), POSIX classes
 * (`[[:alpha:]]`), `\Q…\E`, inline flags such as `(?i)`, and an expression matches a topic name as a
 * whole (Kafka's `matcher(topic).matches()`).
 */
export type TopicRegex = { ok: true; matches: (topic: string) => boolean } | { ok: false; description: string };

/** Compiled expressions by their text (members of a group share theirs; they are compiled once). */
const compiled = new Map<string, TopicRegex>();
const MAX_CACHED = 1024;

export function compileTopicRegex(pattern: string): TopicRegex {
  const known = compiled.get(pattern);
  if (known) return known;
  let out: TopicRegex;
  try {
    const re = RE2JS.compile(pattern);
    out = { ok: true, matches: (topic) => re.matches(topic) };
  } catch (err) {
    if (!(err instanceof RE2JSSyntaxException)) throw err;
    out = { ok: false, description: err.getDescription() };
  }
  if (compiled.size >= MAX_CACHED) compiled.delete(compiled.keys().next().value!);
  compiled.set(pattern, out);
  return out;
}

/** Kafka's INVALID_REGULAR_EXPRESSION message (Utils.throwIfRegularExpressionIsInvalid), or null for a valid expression. */
export function invalidRegexMessage(pattern: string): string | null {
  const r = compileTopicRegex(pattern);
  return r.ok ? null : `SubscribedTopicRegex \`${pattern}\` is not a valid regular expression: ${r.description}.`;
}
