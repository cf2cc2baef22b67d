import type { BrokerContext, RequestSession } from '../handlers/context.ts';

/**
 * One topic-admin request's view of `controller_mutation_rate` (KIP-599): partitions it creates or
 * deletes are counted against the client's quota; once the client is over it, request versions that
 * know THROTTLING_QUOTA_EXCEEDED (CreateTopics v6+, DeleteTopics v5+, CreatePartitions v3+) have
 * their remaining topics refused with it, older ones are only throttled.
 */
export class MutationGate {
  readonly #ctx: BrokerContext;
  readonly #user: string;
  readonly #clientId: string;
  readonly #strict: boolean;
  throttleMs = 0;

  constructor(ctx: BrokerContext, session: RequestSession, strict: boolean) {
    this.#ctx = ctx;
    this.#user = session.principal.startsWith('User:') ? session.principal.slice(5) : session.principal;
    this.#clientId = session.clientId ?? '';
    this.#strict = strict;
  }

  /** True when this topic must be refused with THROTTLING_QUOTA_EXCEEDED. */
  refuse(): boolean {
    if (!this.#strict) return false;
    const t = this.#ctx.clientQuotas.mutationThrottle(this.#user, this.#clientId);
    this.throttleMs = Math.max(this.throttleMs, t);
    return t > 0;
  }

  record(partitions: number): void {
    if (partitions <= 0) return;
    this.throttleMs = Math.max(this.throttleMs, this.#ctx.clientQuotas.record(this.#user, this.#clientId, 'controller_mutation_rate', partitions).throttleMs);
  }
}
