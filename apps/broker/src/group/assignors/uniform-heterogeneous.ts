import type { Assignment, AssignorMember } from './assignor.ts';
import { javaHashOrder, javaStringHash } from './java-hash-order.ts';

/** Kafka's Uuid.compareTo on dashed UUID strings: the two halves as signed 64-bit numbers. */
function compareUuids(a: string, b: string): number {
  const halves = (u: string) => {
    const hex = u.replace(/-/g, '');
    return /^[0-9a-fA-F]{32}$/.test(hex) ? [BigInt.asIntN(64, BigInt(`0x${hex.slice(0, 16)}`)), BigInt.asIntN(64, BigInt(`0x${hex.slice(16)}`))] : null;
  };
  const [x, y] = [halves(a), halves(b)];
  if (!x || !y) return a < b ? -1 : a > b ? 1 : 0; // not UUIDs (unit tests' names): string order
  for (let i = 0; i < 2; i++) if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
  return 0;
}

/**
 * Kafka 4.4's UniformHeterogeneousAssignmentBuilder's rules, for members with different
 * subscriptions. Members are numbered in the order of Kafka's HashMap of their ids. (1) Each member
 * keeps its current partitions of topics it still subscribes to. (2) Topics are taken by partitions
 * per subscriber descending, then subscribers ascending, then topic id; each unheld partition, in
 * ascending order, goes to the least-loaded subscriber (fewest partitions, then lowest number),
 * filling the least-loaded level before the next. (3) Topics with two or more subscribers are
 * balanced in the same topic order, round after round (at most 16) until a round moves nothing:
 * while a topic's most- and least-loaded subscribers differ by more than one, the most-loaded one
 * that holds partitions of the topic gives up its highest one to the least-loaded.
 */
export function assignHeterogeneous(members: readonly AssignorMember[], partitionCounts: ReadonlyMap<string, number>): Map<string, Assignment> {
  const memberIds = javaHashOrder(members.map((m) => m.memberId).sort(), javaStringHash);
  const byId = new Map(members.map((m) => [m.memberId, m]));
  const sizes = memberIds.map(() => 0);
  const target: Assignment[] = memberIds.map(() => new Map());
  const subscribers = new Map<string, number[]>();
  memberIds.forEach((id, index) => {
    for (const t of byId.get(id)!.subscribedTopicIds) {
      if (!partitionCounts.has(t)) continue;
      let list = subscribers.get(t);
      if (!list) subscribers.set(t, (list = []));
      list.push(index);
    }
  });
  const out = () => new Map(memberIds.map((id, i) => [id, target[i]!]));
  if (subscribers.size === 0) return out();
  const owners = new Map([...subscribers.keys()].map((t) => [t, new Array<number>(partitionCounts.get(t)!).fill(-1)]));

  const count = (t: string) => partitionCounts.get(t)!;
  const topicOrder = (a: string, b: string) => {
    const [pa, pb] = [count(a) / subscribers.get(a)!.length, count(b) / subscribers.get(b)!.length];
    if (pa !== pb) return pb < pa ? -1 : 1;
    const [sa, sb] = [subscribers.get(a)!.length, subscribers.get(b)!.length];
    if (sa !== sb) return sa - sb;
    return compareUuids(a, b);
  };
  const memberOrder = (a: number, b: number) => sizes[a]! - sizes[b]! || a - b;

  const assign = (t: string, p: number, to: number) => {
    const from = owners.get(t)![p]!;
    if (from !== -1) {
      const ps = target[from]!.get(t);
      if (ps) {
        ps.delete(p);
        if (ps.size === 0) target[from]!.delete(t);
      }
      sizes[from]!--;
    }
    let ps = target[to]!.get(t);
    if (!ps) target[to]!.set(t, (ps = new Set()));
    ps.add(p);
    owners.get(t)![p] = to;
    sizes[to]!++;
  };

  // (1) Keep what each member holds of the topics it subscribes to.
  memberIds.forEach((id, index) => {
    const m = byId.get(id)!;
    for (const [t, ps] of m.current) {
      if (!m.subscribedTopicIds.has(t) || !owners.has(t)) continue;
      const kept = [...ps].filter((p) => p < count(t));
      if (kept.length === 0) continue;
      target[index]!.set(t, new Set(kept));
      sizes[index]! += kept.length;
      for (const p of kept) owners.get(t)![p] = index;
    }
  });

  // (2) The partitions nobody holds, to the least-loaded subscribers.
  const balancer = new Balancer(sizes, memberOrder);
  const unheld = [...owners].map(([t, o]) => [t, o.flatMap((owner, p) => (owner === -1 ? [p] : []))] as const).filter(([, ps]) => ps.length > 0);
  for (const [t, ps] of [...unheld].sort(([a], [b]) => topicOrder(a, b))) {
    balancer.initialize(subscribers.get(t)!);
    for (const p of ps) assign(t, p, balancer.nextLeastLoaded());
  }

  // (3) Balance the topics that more than one member subscribes to.
  const movable = [...subscribers.keys()].filter((t) => subscribers.get(t)!.length >= 2).sort(topicOrder);
  let lastRebalanced = -1;
  for (let round = 0; round < 16; round++) {
    for (let i = 0; i < movable.length; i++) {
      if (i === lastRebalanced) return out();
      const moved = balanceTopic(movable[i]!);
      if (moved > 0 || lastRebalanced === -1) lastRebalanced = i;
    }
  }
  return out();

  function balanceTopic(t: string): number {
    let moved = 0;
    if (balancer.initialize(subscribers.get(t)!) <= 1) return moved;
    const own = owners.get(t)!;
    // The topic's partitions grouped by owner (ascending within), and each owner's range in that list.
    const partitions = own.map((_, p) => p).sort((a, b) => own[a]! - own[b]! || a - b);
    const start = new Map<number, number>();
    const end = new Map<number, number>();
    partitions.forEach((p, i) => {
      if (!start.has(own[p]!)) start.set(own[p]!, i);
      end.set(own[p]!, i + 1);
    });
    while (!balancer.isBalanced()) {
      let from: number;
      for (;;) {
        from = balancer.nextMostLoaded();
        if (from === -1) break;
        if (!end.has(from) || end.get(from)! - start.get(from)! <= 0) {
          balancer.excludeMostLoaded();
          continue;
        }
        break;
      }
      if (from === -1) break;
      const p = partitions[end.get(from)! - 1]!;
      end.set(from, end.get(from)! - 1);
      const to = balancer.nextLeastLoaded();
      if (balancer.isBalanced()) break;
      assign(t, p, to);
      moved++;
    }
    return moved;
  }
}

/**
 * Kafka's MemberAssignmentBalancer: a topic's subscribers sorted by load, a least-loaded range
 * growing rightwards (partitions given to its members in turn, level by level) and a most-loaded
 * range growing leftwards (partitions taken from its members in turn); balanced once the two
 * ranges' levels differ by one or less.
 */
class Balancer {
  #sorted: number[] = [];
  #leastEnd = 0;
  #leastLevel = -1;
  #nextLeast = 0;
  #mostStart = 0;
  #mostEnd = 0;
  #mostLevel = 1;
  #nextMost = -1;

  private readonly sizes: number[];
  private readonly order: (a: number, b: number) => number;

  constructor(sizes: number[], order: (a: number, b: number) => number) {
    this.sizes = sizes;
    this.order = order;
  }

  /** Starts over with these members; the difference between the most and least loaded. */
  initialize(members: readonly number[]): number {
    this.#sorted = [...members].sort(this.order);
    const first = this.sizes[this.#sorted[0]!]!;
    const last = this.sizes[this.#sorted[this.#sorted.length - 1]!]!;
    this.#leastEnd = 0;
    this.#leastLevel = first - 1;
    this.#nextLeast = 0;
    this.#mostStart = this.#sorted.length;
    this.#mostEnd = this.#sorted.length;
    this.#mostLevel = last + 1;
    this.#nextMost = this.#sorted.length - 1;
    return last - first;
  }

  nextLeastLoaded(): number {
    if (this.#nextLeast >= this.#leastEnd) {
      this.#leastLevel++;
      while (this.#leastEnd < this.#sorted.length && this.sizes[this.#sorted[this.#leastEnd]!] === this.#leastLevel) this.#leastEnd++;
      this.#nextLeast = 0;
    }
    return this.#sorted[this.#nextLeast++]!;
  }

  nextMostLoaded(): number {
    if (this.#nextMost < this.#mostStart) {
      if (this.#mostEnd <= this.#mostStart && this.#mostStart > 0) this.#mostLevel = this.sizes[this.#sorted[this.#mostStart - 1]!]!;
      else this.#mostLevel--;
      while (this.#mostStart > 0 && this.sizes[this.#sorted[this.#mostStart - 1]!] === this.#mostLevel) this.#mostStart--;
      this.#nextMost = this.#mostEnd - 1;
    }
    if (this.#nextMost < 0) return -1;
    return this.#sorted[this.#nextMost--]!;
  }

  /** Takes the member nextMostLoaded last returned out of the most-loaded range (it holds nothing to give). */
  excludeMostLoaded(): void {
    const member = this.#sorted[this.#nextMost + 1]!;
    this.#sorted[this.#nextMost + 1] = this.#sorted[this.#mostEnd - 1]!;
    this.#sorted[this.#mostEnd - 1] = member;
    this.#mostEnd--;
  }

  isBalanced(): boolean {
    return this.#mostLevel - this.#leastLevel <= 1;
  }
}
