import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';

/**
 * The adapter that prisma.config.ts gives Prisma 6's CLI (its WASM schema engine talks to
 * PostgreSQL through it, which is what lets `prisma migrate diff/status/deploy` run offline).
 *
 * Three workarounds, all only for the CLI (libs/db/README.md):
 * - the connection is given as host/port/user/password/database, not a connection string: the
 *   adapter creates shadow databases by overriding `database`, which a connection string would win over;
 * - `connectToShadowDb` drops the shadow database WITH (FORCE) after closing its pool: the stock
 *   adapter drops it while its own pool still holds a connection, which PostgreSQL refuses;
 * - result columns of PostgreSQL's `name` and `"char"` types (the schema engine reads them from the
 *   catalogs) are reported as text: the adapter knows no column type for them and fails otherwise
 *   (prisma/orm#27403).
 */
export class PrismaCliAdapter extends PrismaPg {
  readonly #config: pg.PoolConfig;

  constructor(databaseUrl: string) {
    const u = new URL(databaseUrl);
    const config: pg.PoolConfig = {
      host: u.hostname,
      port: Number(u.port || 5432),
      user: decodeURIComponent(u.username) || undefined,
      password: decodeURIComponent(u.password) || undefined,
      database: decodeURIComponent(u.pathname.slice(1)) || 'postgres',
    };
    super(config);
    this.#config = config;
  }

  override async connect() {
    return readCatalogTypesAsText(await super.connect());
  }

  override async connectToShadowDb() {
    const admin = new pg.Client(this.#config);
    await admin.connect();
    const database = `prisma_shadow_${globalThis.crypto.randomUUID().replaceAll('-', '')}`;
    await admin.query(`CREATE DATABASE "${database}"`);
    await admin.end();
    const shadow = new PrismaPg({ ...this.#config, database });
    const conn = readCatalogTypesAsText(await shadow.connect());
    const dispose = conn.dispose.bind(conn);
    conn.dispose = async () => {
      await dispose();
      const c = new pg.Client(this.#config);
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
      } finally {
        await c.end();
      }
    };
    return conn;
  }
}

const PG_NAME = 19;
const PG_CHAR = 18;
const PG_TEXT = 25;
type Field = { dataTypeID: number };
type Result = { fields?: Field[] };
type PerformIO = (this: unknown, query: unknown) => Promise<Result | Result[]>;
const patched = new WeakSet<object>();

/** Patches the queryable base class (shared by connections and their transactions) once. */
function readCatalogTypesAsText<T extends object>(conn: T): T {
  let proto: object | null = conn;
  while (proto && !Object.hasOwn(proto, 'performIO')) proto = Object.getPrototypeOf(proto) as object | null;
  if (!proto) throw new Error('@prisma/adapter-pg changed: no performIO to patch (see libs/db/README.md)');
  if (patched.has(proto)) return conn;
  patched.add(proto);
  const holder = proto as { performIO: PerformIO };
  const original = holder.performIO;
  holder.performIO = async function (this: unknown, query: unknown) {
    const result = await original.call(this, query);
    // A script of several statements yields one result per statement.
    for (const r of Array.isArray(result) ? result : [result]) {
      for (const f of r.fields ?? []) if (f.dataTypeID === PG_NAME || f.dataTypeID === PG_CHAR) f.dataTypeID = PG_TEXT;
    }
    return result;
  };
  return conn;
}
