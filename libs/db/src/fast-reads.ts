import { Prisma } from '@prisma/client';
import type { Instance, InstanceStatus } from '@prisma/client';
import type pg from 'pg';

/** An instance row with the operator's status row (null before its first report): = findUnique({ include: { status: true } }). */
export type InstanceWithStatus = Instance & { status: InstanceStatus | null };

/**
 * Reads on the API's hottest path, in plain SQL on the pool Prisma also uses, returning exactly the
 * objects Prisma would (fast-reads.test.ts compares them field by field).
 *
 * Why not Prisma: Prisma 6's client engine compiles every query in WASM on the calling thread; under
 * 50 concurrent GETs that cost ~1 ms of CPU per request and took GET /v1/instances/{id} from ~4,900
 * to ~550 req/s and its p99 from ~20 ms to ~200 ms (bench/api/README.md). Writes, lists and the
 * operator stay on Prisma. The column list comes from Prisma's own datamodel (DMMF), so a column
 * added to schema.prisma is read here too without editing this file.
 */
function modelOf(model: string) {
  const m = Prisma.dmmf.datamodel.models.find((x) => x.name === model);
  if (!m) throw new Error(`no model ${model} in the Prisma datamodel`);
  return m;
}
/** `alias."column" AS "<prefix>field"` for every scalar field of `model`. */
function columnList(model: string, alias: string, prefix = ''): string[] {
  return modelOf(model).fields
    .filter((f) => f.kind === 'scalar' || f.kind === 'enum')
    .map((f) => {
      // Decimal and BigInt would come back from pg as strings, not as Prisma's types: not supported here.
      if (f.type === 'Decimal' || f.type === 'BigInt') throw new Error(`${model}.${f.name}: ${f.type} is not supported by FastReads`);
      return `${alias}."${f.dbName ?? f.name}" AS "${prefix}${f.name}"`;
    });
}
const table = (model: string) => `"${modelOf(model).dbName ?? model}"`;

// The status row rides along (LEFT JOIN): its fields come back as "status.<field>" and are folded
// into `status` (null when the operator has not reported yet).
const STATUS_PREFIX = 'status.';
const INSTANCE_BY_ID = `SELECT ${[...columnList('Instance', 'i'), ...columnList('InstanceStatus', 's', STATUS_PREFIX)].join(', ')}
  FROM ${table('Instance')} i LEFT JOIN ${table('InstanceStatus')} s ON s."instance_id" = i."id" WHERE i."id" = $1`;

function foldStatus(row: Record<string, unknown>): InstanceWithStatus {
  const out: Record<string, unknown> = {};
  const status: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    if (k.startsWith(STATUS_PREFIX)) status[k.slice(STATUS_PREFIX.length)] = v;
    else out[k] = v;
  }
  out['status'] = status['instanceId'] === null ? null : status;
  return out as InstanceWithStatus;
}

export class FastReads {
  readonly #pool: pg.Pool;
  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  /** = prisma.instance.findUnique({ where: { id }, include: { status: true } }); a named statement, planned once per connection. */
  async instanceById(id: string): Promise<InstanceWithStatus | null> {
    const r = await this.#pool.query<Record<string, unknown>>({ name: 'fast-instance-by-id', text: INSTANCE_BY_ID, values: [id] });
    return r.rows[0] ? foldStatus(r.rows[0]) : null;
  }
}
