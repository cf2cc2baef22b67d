/**
 * Consumer groups this broker has let a join create that may not exist yet (the JoinGroup or
 * ConsumerGroupHeartbeat is still between the limit check and the coordinator): they count toward
 * `tributary.instance.max.consumer.groups`, so joins for new groups arriving together on one broker
 * cannot all take the last place while the check awaits the other brokers' counts.
 */
export class GroupCreations {
  readonly #pending = new Map<string, number>();

  /** Holds a place for `groupId` until the returned release is called (once its join is answered). */
  reserve(groupId: string): () => void {
    this.#pending.set(groupId, (this.#pending.get(groupId) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const n = (this.#pending.get(groupId) ?? 1) - 1;
      if (n > 0) this.#pending.set(groupId, n);
      else this.#pending.delete(groupId);
    };
  }

  /** Whether a join for `groupId` holds a place. */
  has(groupId: string): boolean {
    return this.#pending.has(groupId);
  }

  /** The groups held for that are not among `existing` (a group already created counts once, as itself). */
  countBeyond(existing: ReadonlySet<string>): number {
    let n = 0;
    for (const id of this.#pending.keys()) if (!existing.has(id)) n++;
    return n;
  }
}
