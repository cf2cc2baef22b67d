import { Prisma } from '@prisma/client';
import type { Instance } from '@prisma/client';
import type pg from 'pg';

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
function selectList(model: string): string {
  const m = Prisma.dmmf.datamodel.models.find((x) => x.name === model);
  if (!m) throw new Error(`no model ${model} in the Prisma datamodel`);
  const columns = m.fields
    .filter((f) => f.kind === 'scalar' || f.kind === 'enum')
    .map((f) => {
      // Decimal and BigInt would come back from pg as strings, not as Prisma's types: not supported here.
      if (f.type === 'Decimal' || f.type === 'BigInt') throw new Error(`${model}.${f.name}: ${f.type} is not supported by FastReads`);
      return `"${f.dbName ?? f.name}" AS "${f.name}"`;
    });
  return `SELECT ${columns.join(', ')} FROM "${m.dbName ?? m.name}"`;
}

const INSTANCE_BY_ID = `${selectList('Instance')} WHERE "id" = $1`;

export class FastReads {
  readonly #pool: pg.Pool;
  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  /** = prisma.instance.findUnique({ where: { id } }); a named statement, planned once per connection. */
  async instanceById(id: string): Promise<Instance | null> {
    const r = await this.#pool.query<Instance>({ name: 'fast-instance-by-id', text: INSTANCE_BY_ID, values: [id] });
    return r.rows[0] ?? null;
  }
}
