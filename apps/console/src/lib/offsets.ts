/**
 * The positions an offset reset would give each partition of one topic, computed in the browser
 * from the group's committed offsets and the partitions' start/end offsets, so the user sees them
 * before applying. A timestamp is resolved by the brokers (ListOffsets) when applied: null here.
 */
export type ResetTarget = { kind: 'earliest' } | { kind: 'latest' } | { kind: 'timestamp'; timestamp: number } | { kind: 'exact'; offsets: Record<string, number> };
export interface PreviewRow { partition: number; committed: number | null; next: number | null; lagAfter: number | null; outOfRange: boolean }

export function previewReset(
  topic: string,
  committed: readonly { topic: string; partition: number; committed: number }[],
  partitions: readonly { partition: number; startOffset: number; endOffset: number }[],
  to: ResetTarget,
): PreviewRow[] {
  return [...partitions].sort((a, b) => a.partition - b.partition).map((p) => {
    const c = committed.find((o) => o.topic === topic && o.partition === p.partition);
    let next: number | null;
    if (to.kind === 'earliest') next = p.startOffset;
    else if (to.kind === 'latest') next = p.endOffset;
    else if (to.kind === 'exact') next = to.offsets[String(p.partition)] ?? (c ? c.committed : null);
    else next = null;
    const outOfRange = next !== null && (next < p.startOffset || next > p.endOffset);
    return { partition: p.partition, committed: c ? c.committed : null, next, lagAfter: next === null ? null : Math.max(0, p.endOffset - next), outOfRange };
  });
}

/** Topics a group has committed offsets for, in name order. */
export const groupTopics = (offsets: readonly { topic: string }[]) => [...new Set(offsets.map((o) => o.topic))].sort();

/** A generated password for a new SCRAM user: 24 characters from a 62-letter alphabet (~143 bits). */
export function generatePassword(random: (n: number) => Uint8Array = (n) => crypto.getRandomValues(new Uint8Array(n))): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let out = '';
  while (out.length < 24) {
    for (const b of random(32)) {
      // Rejection sampling: 248 = 4 × 62, so every letter is equally likely.
      if (b < 248 && out.length < 24) out += alphabet[b % 62];
    }
  }
  return out;
}
