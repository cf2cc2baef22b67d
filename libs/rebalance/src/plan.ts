/**
 * The rebalance planner: given the brokers an instance should end up on and its partitions as they
 * are (replicas, sizes, wanted replication factor), the assignment to move to. Pure and
 * deterministic, so the operator can show a plan before applying it and a retried reconcile
 * recomputes the same one.
 *
 * Goals, in priority order (Cruise Control's split into hard and soft goals, simplified):
 * 1. hard: every partition gets its replication factor of distinct brokers from the target set;
 * 2. hard: a partition's replicas span min(RF, racks) racks;
 * 3. soft: replicas per broker within ±1, then leaders per broker within ±1 (both reachable
 *    whenever racks are equally sized; with uneven racks goal 2 wins);
 * 4. soft: each topic's replicas per broker within ±1 where moves that keep goal 3 allow it, so
 *    a scale-up spreads every topic onto the new brokers (Cruise Control's topic replica
 *    distribution goal);
 * 5. soft: least data copied — keep replicas where they are, and when one must move, move the
 *    smallest partition or a replica this plan is creating anyway.
 */

export interface PlanBroker {
  readonly id: number;
  /** null when the broker has no rack; all such brokers count as one rack. */
  readonly rack: string | null;
}

export interface PlanPartition {
  readonly topic: string;
  readonly partition: number;
  /** Current replicas, preferred leader first. May name brokers that are leaving. */
  readonly replicas: readonly number[];
  /** Bytes a new replica must copy (the leader's log size). */
  readonly sizeBytes: number;
  /** The replication factor wanted after the plan; defaults to the current replica count. */
  readonly replicationFactor?: number;
}

export interface PartitionMove {
  readonly topic: string;
  readonly partition: number;
  readonly from: readonly number[];
  readonly to: readonly number[];
  readonly adding: readonly number[];
  readonly removing: readonly number[];
  readonly leaderChanges: boolean;
  readonly bytesToCopy: number;
}

export interface RebalancePlan {
  /** Every partition's replicas after the plan, preferred leader first, in input order. */
  readonly assignments: readonly { readonly topic: string; readonly partition: number; readonly replicas: readonly number[] }[];
  /** Only the partitions whose replicas or preferred leader change. */
  readonly moves: readonly PartitionMove[];
  readonly bytesToCopy: number;
  readonly replicasPerBroker: ReadonlyMap<number, number>;
  readonly leadersPerBroker: ReadonlyMap<number, number>;
}

export type PlanError =
  | { readonly code: 'NO_BROKERS'; readonly message: string }
  | { readonly code: 'DUPLICATE_BROKER'; readonly message: string }
  | { readonly code: 'INVALID_REPLICATION_FACTOR'; readonly message: string; readonly topic: string; readonly partition: number };

export type PlanResult = { readonly ok: true; readonly plan: RebalancePlan } | { readonly ok: false; readonly error: PlanError };

interface Working {
  readonly input: PlanPartition;
  readonly rf: number;
  readonly wantRacks: number;
  /** Replicas being built; kept ones keep their original order. */
  replicas: number[];
}

export function planRebalance(brokers: readonly PlanBroker[], partitions: readonly PlanPartition[]): PlanResult {
  if (brokers.length === 0) return { ok: false, error: { code: 'NO_BROKERS', message: 'the target has no brokers' } };
  const rackOf = new Map<number, string>();
  for (const b of brokers) {
    if (rackOf.has(b.id)) return { ok: false, error: { code: 'DUPLICATE_BROKER', message: `broker ${b.id} is listed twice` } };
    rackOf.set(b.id, b.rack ?? '');
  }
  const ids = [...rackOf.keys()].sort((a, b) => a - b);
  const rackCount = new Set(rackOf.values()).size;

  const work: Working[] = [];
  for (const p of partitions) {
    const rf = p.replicationFactor ?? p.replicas.length;
    if (!Number.isInteger(rf) || rf < 1 || rf > ids.length) {
      return { ok: false, error: { code: 'INVALID_REPLICATION_FACTOR', topic: p.topic, partition: p.partition, message: `${p.topic}-${p.partition}: replication factor ${rf} needs between 1 and ${ids.length} brokers` } };
    }
    const wantRacks = Math.min(rf, rackCount);
    work.push({ input: p, rf, wantRacks, replicas: keepReplicas(p, rf, wantRacks, rackOf) });
  }

  const load = new Map(ids.map((id) => [id, 0]));
  for (const w of work) for (const b of w.replicas) load.set(b, load.get(b)! + 1);
  fillMissing(work, load, ids, rackOf);
  levelLoads(work, load, ids, rackOf);
  levelTopics(work, load, ids, rackOf);
  const leaders = chooseLeaders(work, ids);
  return { ok: true, plan: describe(work, load, leaders) };
}

/** Current replicas still wanted: on a target broker, not beyond the RF, not crowding one rack. */
function keepReplicas(p: PlanPartition, rf: number, wantRacks: number, rackOf: ReadonlyMap<number, string>): number[] {
  const kept: number[] = [];
  const racks = new Set<string>();
  for (const b of p.replicas) {
    if (kept.length === rf || !rackOf.has(b) || kept.includes(b)) continue;
    const rack = rackOf.get(b)!;
    // A second replica on a used rack stays only if the free slots can still reach wantRacks.
    const racksAfter = racks.size + (racks.has(rack) ? 0 : 1);
    if (racksAfter + (rf - kept.length - 1) < wantRacks) continue;
    kept.push(b);
    racks.add(rack);
  }
  return kept;
}

function racksOf(replicas: readonly number[], rackOf: ReadonlyMap<number, string>): Set<string> {
  return new Set(replicas.map((b) => rackOf.get(b)!));
}

/** Gives each partition its missing replicas on the least-loaded brokers, new racks first. */
function fillMissing(work: Working[], load: Map<number, number>, ids: readonly number[], rackOf: ReadonlyMap<number, string>): void {
  for (const w of work) {
    while (w.replicas.length < w.rf) {
      const racks = racksOf(w.replicas, rackOf);
      const needRack = racks.size < w.wantRacks;
      let best: number | undefined;
      for (const id of ids) {
        if (w.replicas.includes(id) || (needRack && racks.has(rackOf.get(id)!))) continue;
        if (best === undefined || load.get(id)! < load.get(best)!) best = id;
      }
      // keepReplicas left room for the racks and rf <= brokers, so a candidate always exists.
      w.replicas.push(best!);
      load.set(best!, load.get(best!)! + 1);
    }
  }
}

interface Step {
  readonly work: Working;
  readonly from: number;
  readonly to: number;
}

/** What moving a replica costs: bytes copied, then original replicas moved (a replica this plan adds costs nothing). */
type Cost = readonly [bytes: number, moves: number, hops: number];
const cheaper = (a: Cost, b: Cost) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];

/**
 * Levels replica loads to within ±1: repeatedly shifts one replica's worth of load from the most
 * to a least loaded broker along the cheapest chain of moves (a -> b -> c moves one replica from
 * a to b and another from b to c, leaving b's load unchanged). A chain can be cheaper than a
 * direct move when its links move replicas this plan is adding anyway. Stops when no chain keeps
 * the rack goal (uneven racks).
 */
function levelLoads(work: Working[], load: Map<number, number>, ids: readonly number[], rackOf: ReadonlyMap<number, string>): void {
  for (let guard = work.length * ids.length + 1; guard > 0; guard--) {
    const order = [...ids].sort((a, b) => load.get(b)! - load.get(a)! || a - b);
    let moved = false;
    for (const from of order) {
      const targets = new Set(ids.filter((id) => load.get(from)! - load.get(id)! > 1));
      if (targets.size === 0) break;
      const chain = cheapestChain(work, from, targets, ids, rackOf);
      if (!chain) continue;
      for (const step of chain) step.work.replicas = step.work.replicas.map((b) => (b === step.from ? step.to : b));
      const to = chain[chain.length - 1]!.to;
      load.set(from, load.get(from)! - 1);
      load.set(to, load.get(to)! + 1);
      moved = true;
      break;
    }
    if (!moved) return;
  }
}

/** Dijkstra over brokers; an edge a -> b is the cheapest replica of a that can move to b. */
function cheapestChain(work: readonly Working[], from: number, targets: ReadonlySet<number>, ids: readonly number[], rackOf: ReadonlyMap<number, string>): Step[] | undefined {
  const edges = new Map<number, Map<number, { cost: Cost; work: Working }>>();
  for (const w of work) {
    for (const a of w.replicas) {
      const out = edges.get(a) ?? new Map<number, { cost: Cost; work: Working }>();
      edges.set(a, out);
      const original = w.input.replicas.includes(a);
      const cost: Cost = [original ? w.input.sizeBytes : 0, original ? 1 : 0, 1];
      for (const b of ids) {
        if (w.replicas.includes(b) || !keepsRacks(w, a, b, rackOf)) continue;
        const known = out.get(b);
        if (!known || cheaper(cost, known.cost) < 0) out.set(b, { cost, work: w });
      }
    }
  }
  const best = new Map<number, { cost: Cost; via?: Step; prev?: number }>([[from, { cost: [0, 0, 0] }]]);
  const done = new Set<number>();
  for (;;) {
    let at: number | undefined;
    for (const [id, v] of best) if (!done.has(id) && (at === undefined || cheaper(v.cost, best.get(at)!.cost) < 0)) at = id;
    if (at === undefined) return undefined;
    if (targets.has(at)) {
      const chain: Step[] = [];
      for (let node = at; node !== from; node = best.get(node)!.prev!) chain.unshift(best.get(node)!.via!);
      // One partition used twice in a chain could undo itself; such a chain is not taken.
      return new Set(chain.map((s) => s.work)).size === chain.length ? chain : undefined;
    }
    done.add(at);
    const here = best.get(at)!.cost;
    for (const [b, edge] of edges.get(at) ?? []) {
      const cost: Cost = [here[0] + edge.cost[0], here[1] + edge.cost[1], here[2] + edge.cost[2]];
      const known = best.get(b);
      if (!done.has(b) && (!known || cheaper(cost, known.cost) < 0)) best.set(b, { cost, via: { work: edge.work, from: at, to: b }, prev: at });
    }
  }
}

function keepsRacks(w: Working, from: number, to: number, rackOf: ReadonlyMap<number, string>): boolean {
  return racksOf(w.replicas.map((b) => (b === from ? to : b)), rackOf).size >= Math.min(w.wantRacks, racksOf(w.replicas, rackOf).size);
}

/** Bytes a replica of `w` moved from `from` to `to` copies: none when `to` had it before (it goes back). */
const copyCost = (w: Working, to: number) => (w.input.replicas.includes(to) ? 0 : w.input.sizeBytes);

/**
 * Spreads each topic within ±1 replicas per broker without leaving ±1 in total: without it a
 * scale-up levels the totals with the internal topics' many small partitions and a user's topic
 * never reaches the new brokers. One step moves a replica of the topic from a broker with at
 * least two more of it to one with fewer, and when that would tip the totals, moves a replica of
 * another topic back the other way, one that leaves that topic no less even. Each step lowers the
 * sum of squared replicas per topic and broker, so the loop ends, and it ends only where no step
 * is left: planning its result again moves nothing. Cheapest steps first (bytes copied).
 */
function levelTopics(work: readonly Working[], load: Map<number, number>, ids: readonly number[], rackOf: ReadonlyMap<number, string>): void {
  const byTopic = new Map<string, Working[]>();
  for (const w of work) {
    const list = byTopic.get(w.input.topic);
    if (list) list.push(w);
    else byTopic.set(w.input.topic, [w]);
  }
  const held = new Set(work.flatMap((w) => w.input.replicas));
  const counts = new Map<string, Map<number, number>>();
  for (const [topic, list] of byTopic) counts.set(topic, new Map(ids.map((id) => [id, list.filter((w) => w.replicas.includes(id)).length])));
  const move = (w: Working, from: number, to: number) => {
    w.replicas = w.replicas.map((b) => (b === from ? to : b));
    const c = counts.get(w.input.topic)!;
    c.set(from, c.get(from)! - 1);
    c.set(to, c.get(to)! + 1);
  };
  const cheapest = (candidates: Iterable<Working>, from: number, to: number, fits: (w: Working) => boolean): Working | undefined => {
    let best: Working | undefined;
    for (const w of candidates) {
      if (!w.replicas.includes(from) || w.replicas.includes(to) || !fits(w) || !keepsRacks(w, from, to, rackOf)) continue;
      if (best === undefined || copyCost(w, to) < copyCost(best, to)) best = w;
    }
    return best;
  };
  // Bounded by the falling sum of squares; the guard only protects against a mistake in that argument.
  for (let guard = work.length * ids.length * ids.length + 1; guard > 0; guard--) {
    let stepped = false;
    for (const [topic, list] of byTopic) {
      const c = counts.get(topic)!;
      const fullest = [...ids].sort((x, y) => c.get(y)! - c.get(x)! || x - y);
      // Brokers that held nothing before the plan (a scale-up's) first: copying there is what a scale-up is for.
      const emptiest = [...ids].sort((x, y) => c.get(x)! - c.get(y)! || Number(held.has(x)) - Number(held.has(y)) || load.get(x)! - load.get(y)! || x - y);
      for (const a of fullest) {
        for (const b of emptiest) {
          if (c.get(a)! - c.get(b)! < 2) break;
          // Data is copied for a topic's spread only onto brokers new in this plan (a scale-up's);
          // between brokers that held data, least data copied (goal 5) wins.
          const w = cheapest(list, a, b, (x) => !held.has(b) || copyCost(x, b) === 0);
          if (!w) continue;
          if (load.get(a)! > load.get(b)!) {
            move(w, a, b);
            load.set(a, load.get(a)! - 1);
            load.set(b, load.get(b)! + 1);
          } else {
            const back = cheapest(work, b, a, (o) => o.input.topic !== topic && copyCost(o, a) === 0 && counts.get(o.input.topic)!.get(b)! > counts.get(o.input.topic)!.get(a)!);
            if (!back) continue;
            move(w, a, b);
            move(back, b, a);
          }
          stepped = true;
          break;
        }
        if (stepped) break;
      }
      if (stepped) break;
    }
    if (!stepped) return;
  }
}

/**
 * Preferred leaders within ±1 per broker, moving as few as possible: every partition keeps its
 * current leader, brokers above ceil(P/B) give partitions up, those are placed by augmenting paths
 * (capacity ceil), and brokers below floor(P/B) then pull one along alternating paths. Augmenting
 * never lowers a broker's count, pulling never lowers one below the floor or raises one above the
 * ceiling, so the end state is balanced whenever the replicas allow it.
 */
function chooseLeaders(work: readonly Working[], ids: readonly number[]): number[] {
  const leaderOf: (number | undefined)[] = work.map(() => undefined);
  const count = new Map(ids.map((id) => [id, 0]));
  const led = new Map<number, Set<number>>(ids.map((id) => [id, new Set<number>()]));
  const holding = new Map<number, number[]>(ids.map((id) => [id, []]));
  work.forEach((w, p) => w.replicas.forEach((b) => holding.get(b)!.push(p)));
  const assign = (p: number, b: number | undefined) => {
    const prev = leaderOf[p];
    if (prev !== undefined) {
      count.set(prev, count.get(prev)! - 1);
      led.get(prev)!.delete(p);
    }
    leaderOf[p] = b;
    if (b === undefined) return;
    count.set(b, count.get(b)! + 1);
    led.get(b)!.add(p);
  };
  const floor = Math.floor(work.length / ids.length);
  const ceil = Math.ceil(work.length / ids.length);

  work.forEach((w, p) => {
    const current = w.input.replicas[0];
    if (current !== undefined && w.replicas.includes(current)) assign(p, current);
  });
  for (const id of ids) for (const p of [...led.get(id)!].slice(ceil)) assign(p, undefined);

  const byCount = (a: number, b: number) => count.get(a)! - count.get(b)! || a - b;
  const augment = (p: number, seen: Set<number>): boolean => {
    for (const b of [...work[p]!.replicas].sort(byCount)) {
      if (seen.has(b)) continue;
      seen.add(b);
      if (count.get(b)! < ceil) return assign(p, b), true;
      for (const other of [...led.get(b)!]) if (augment(other, seen)) return assign(p, b), true;
    }
    return false;
  };
  for (let p = 0; p < work.length; p++) if (leaderOf[p] === undefined) augment(p, new Set());

  const pull = (u: number, seen: Set<number>): boolean => {
    for (const q of holding.get(u)!) {
      const b = leaderOf[q];
      if (b === undefined || b === u || seen.has(b)) continue;
      seen.add(b);
      if (count.get(b)! > floor) return assign(q, u), true;
      if (pull(b, seen)) return assign(q, u), true;
    }
    return false;
  };
  for (const id of ids) while (count.get(id)! < floor && pull(id, new Set([id])));
  return work.map((w, p) => leaderOf[p] ?? w.replicas[0]!);
}

function describe(work: readonly Working[], load: ReadonlyMap<number, number>, leaders: readonly number[]): RebalancePlan {
  const leadersPerBroker = new Map([...load.keys()].map((id) => [id, 0]));
  const moves: PartitionMove[] = [];
  const assignments = work.map((w, i) => {
    const leader = leaders[i]!;
    const replicas = [leader, ...w.replicas.filter((b) => b !== leader)];
    leadersPerBroker.set(leader, leadersPerBroker.get(leader)! + 1);
    const from = w.input.replicas;
    const adding = replicas.filter((b) => !from.includes(b));
    const removing = from.filter((b) => !replicas.includes(b));
    const leaderChanges = from[0] !== leader;
    if (adding.length > 0 || removing.length > 0 || leaderChanges || from.length !== replicas.length) {
      moves.push({ topic: w.input.topic, partition: w.input.partition, from, to: replicas, adding, removing, leaderChanges, bytesToCopy: adding.length * w.input.sizeBytes });
    }
    return { topic: w.input.topic, partition: w.input.partition, replicas };
  });
  return { assignments, moves, bytesToCopy: moves.reduce((n, m) => n + m.bytesToCopy, 0), replicasPerBroker: load, leadersPerBroker };
}
