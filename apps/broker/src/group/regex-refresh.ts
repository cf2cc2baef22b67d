import type { ConsumerGroupState, PendingRegexRefresh } from './consumer-group.ts';
import type { ConsumerMember } from './consumer-member.ts';
import { compileTopicRegex } from './topic-regex.ts';

/**
 * When and with whose authorization a consumer group's regular-expression subscriptions are
 * resolved to topics, as Kafka 4.4's GroupMetadataManager does (maybeUpdateRegularExpressions,
 * refreshRegularExpressions, handleRegularExpressionsResult): every expression of the group at
 * once, with the DESCRIBE rights of the principal whose heartbeat triggered the refresh, and the
 * result stands until the next refresh. A member subscribing to an expression the group already
 * has does not trigger one, so it gets the topics another principal resolved (Kafka's behaviour,
 * not a per-member view).
 */

/** Kafka's REGEX_BATCH_REFRESH_MIN_INTERVAL_MS: a group's expressions are not resolved twice within 10 s. */
export const REGEX_REFRESH_MIN_INTERVAL_MS = 10_000;

/** The expressions the group's members subscribe to (an empty one is none). */
export function subscribedRegexes(cg: ConsumerGroupState): Set<string> {
  const out = new Set<string>();
  for (const m of cg.members.values()) if (m.subscribedTopicRegex) out.add(m.subscribedTopicRegex);
  return out;
}

/**
 * Forgets the resolutions of expressions no member subscribes to any more (Kafka tombstones them).
 * With none left the group has no last refresh (Kafka reads its time from the resolutions), so a
 * new expression is resolved without the 10 s wait.
 */
export function pruneResolvedRegexes(cg: ConsumerGroupState): void {
  if (cg.resolvedRegexes.size === 0) {
    cg.lastRegexRefresh = null;
    return;
  }
  const subscribed = subscribedRegexes(cg);
  for (const re of [...cg.resolvedRegexes.keys()]) if (!subscribed.has(re)) cg.resolvedRegexes.delete(re);
  if (cg.resolvedRegexes.size === 0) cg.lastRegexRefresh = null;
}

/**
 * Kafka's maybeUpdateRegularExpressions, called once the request's member is stored: a refresh
 * is triggered when the group has expressions, none is pending, the last one is older than 10 s,
 * and the member brought an expression no other member has, or an expression is unresolved, or
 * topics were created since, or the last refresh is older than group.consumer.regex.refresh.interval.ms.
 * The refresh is applied right after the request (GroupCoordinator), or by the group's next request if that comes first (Kafka resolves off the request path).
 */
export function maybeTriggerRegexRefresh(
  cg: ConsumerGroupState,
  before: ConsumerMember | undefined,
  updated: ConsumerMember,
  topicNames: () => string[],
  now: number,
  refreshIntervalMs: number,
  canDescribeTopic: ((topic: string) => boolean) | undefined,
): void {
  const oldRegex = before?.subscribedTopicRegex || null;
  const newRegex = updated.subscribedTopicRegex || null;
  let requireRefresh = false;
  if (newRegex !== null && newRegex !== oldRegex) {
    // An expression no other member subscribes to must be resolved.
    requireRefresh = ![...cg.members.values()].some((m) => m.memberId !== updated.memberId && m.subscribedTopicRegex === newRegex);
  }
  const regexes = subscribedRegexes(cg);
  if (regexes.size === 0 || cg.pendingRegexRefresh) return;
  const last = cg.lastRegexRefresh;
  // Loaded from the log: the topics that exist now count as those of the last resolution.
  if (last && last.topicNames === null) last.topicNames = new Set(topicNames());
  if (last && now <= last.at + REGEX_REFRESH_MIN_INTERVAL_MS) return;
  requireRefresh ||= regexes.size !== cg.resolvedRegexes.size;
  requireRefresh ||= last !== null && topicNames().some((n) => !last.topicNames!.has(n));
  requireRefresh ||= last !== null && now > last.at + refreshIntervalMs;
  if (requireRefresh) cg.pendingRegexRefresh = { at: now, regexes, canDescribeTopic };
}

/** Applies the refresh a previous request triggered (Kafka's handleRegularExpressionsResult). */
export function applyPendingRegexRefresh(cg: ConsumerGroupState, topicNames: () => string[], metadataVersion: () => bigint = () => -1n): void {
  const pending = cg.pendingRegexRefresh;
  if (!pending) return;
  cg.pendingRegexRefresh = null;
  resolveRegexes(cg, pending, topicNames(), metadataVersion());
}

/**
 * Resolves the expressions with the given authorization: each one's matching topics (every topic,
 * internal ones too, as Kafka matches its whole metadata image) that the principal may DESCRIBE;
 * `metadataVersion` is the version of the metadata the topic names come from (Kafka's image offset).
 * Expressions no longer subscribed are skipped, as in Kafka.
 */
export function resolveRegexes(cg: ConsumerGroupState, refresh: PendingRegexRefresh, topicNames: string[], metadataVersion = -1n): void {
  const subscribed = subscribedRegexes(cg);
  for (const re of refresh.regexes) {
    if (!subscribed.has(re)) continue;
    const compiled = compileTopicRegex(re);
    const names = new Set<string>();
    if (compiled.ok) for (const n of topicNames) if (compiled.matches(n) && (refresh.canDescribeTopic?.(n) ?? true)) names.add(n);
    cg.resolvedRegexes.set(re, names);
  }
  cg.lastRegexRefresh = { at: refresh.at, topicNames: new Set(topicNames), version: metadataVersion };
}
