import { mkdirSync } from 'node:fs';
import {
  type DatabaseConnection,
  type Dialect,
  type Driver,
  Kysely,
  PostgresAdapter,
  PostgresDialect,
  PostgresIntrospector,
  PostgresQueryCompiler,
  sql,
  type TransactionSettings,
} from 'kysely';
import pg from 'pg';
import type { Database } from '../../schema/database.ts';

export type Db = Kysely<Database>;

export interface DbHandle {
  db: Db;
  /** Which engine is behind `db`: tests skip by name what needs a real server. */
  engine: 'postgres' | 'pglite';
  /**
   * LISTENs on `channel` (on a connection of its own for PostgreSQL): `onNotify` gets each payload,
   * `onLost` is called once if the connection goes. Resolves when listening, to a function that stops.
   */
  listen(
    channel: string,
    onNotify: (payload: string) => void,
    onLost: (error: unknown) => void,
  ): Promise<Unlisten>;
  close(): Promise<void>;
}

export type Unlisten = () => Promise<void>;

const channelName = /^[a-z_]+$/;

// Same wire shapes on both engines: `date` stays 'YYYY-MM-DD' (a sitting date is a calendar day,
// never an instant), int8 (count(), audit ids) becomes a number.
const DATE_OID = 1082;
const INT8_OID = 20;

const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === DATE_OID) return (value: string) => value;
    if (oid === INT8_OID) return (value: string) => Number(value);
    // biome-ignore lint/suspicious/noExplicitAny: pg's own overloads are not expressible here
    return (pg.types.getTypeParser as any)(oid, format);
  },
};

/** Opens PostgreSQL through a pg pool. */
export function openPostgres(url: string, options: { max?: number } = {}): DbHandle {
  const pool = new pg.Pool({ connectionString: url, max: options.max ?? 10, types: pgTypes });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const listen: DbHandle['listen'] = async (channel, onNotify, onLost) => {
    if (!channelName.test(channel)) throw new Error(`Not a channel name: ${channel}`);
    // Keep-alive so a connection cut without a word is noticed by the kernel too.
    const client = new pg.Client({ connectionString: url, keepAlive: true });
    let lost = false;
    const lose = (error: unknown) => {
      if (lost) return;
      lost = true;
      onLost(error);
    };
    client.on('error', lose);
    client.on('end', () => lose(new Error('listening connection ended')));
    client.on('notification', (message) => {
      if (message.channel === channel) onNotify(message.payload ?? '');
    });
    await client.connect();
    await client.query(`listen ${channel}`);
    return async () => {
      lost = true;
      await client.end().catch(() => {});
    };
  };
  return { db, engine: 'postgres', listen, close: () => db.destroy() };
}

/**
 * PGlite (PostgreSQL compiled to WebAssembly) and its Kysely dialect take a third of a second to
 * import, so they are imported when the first query needs them: a `hub` command against PostgreSQL
 * never loads them. Kysely initialises a driver once, before its first connection.
 */
class LazyPgliteDialect implements Dialect {
  constructor(private readonly open: () => Promise<Driver>) {}
  createAdapter() {
    return new PostgresAdapter();
  }
  createQueryCompiler() {
    return new PostgresQueryCompiler();
  }
  createIntrospector(db: Kysely<unknown>) {
    return new PostgresIntrospector(db);
  }
  createDriver(): Driver {
    const open = this.open;
    let driver: Driver | undefined;
    const opened = () => {
      if (driver === undefined) throw new Error('PGlite driver used before init');
      return driver;
    };
    return {
      async init() {
        driver = await open();
        await driver.init();
      },
      acquireConnection: () => opened().acquireConnection(),
      beginTransaction: (c: DatabaseConnection, settings: TransactionSettings) =>
        opened().beginTransaction(c, settings),
      commitTransaction: (c: DatabaseConnection) => opened().commitTransaction(c),
      rollbackTransaction: (c: DatabaseConnection) => opened().rollbackTransaction(c),
      releaseConnection: (c: DatabaseConnection) => opened().releaseConnection(c),
      destroy: async () => {
        await driver?.destroy();
      },
    };
  }
}

/** A PGlite handle that can also write its data directory out as a tarball (see pglite-template.ts). */
export interface PgliteHandle extends DbHandle {
  engine: 'pglite';
  /** The data directory as an uncompressed tarball, after a checkpoint (so loading it replays no WAL). */
  dumpDataDir(): Promise<Blob>;
}

/**
 * Opens embedded PGlite in `dir`, or in memory when `dir` is null. With `loadDataDir` (a tarball from
 * `dumpDataDir`), an empty `dir` starts as a copy of it instead of running initdb.
 */
export function openPglite(dir: string | null, options: { loadDataDir?: Blob } = {}): PgliteHandle {
  if (dir !== null) mkdirSync(dir, { recursive: true });
  let client:
    | {
        dumpDataDir(compression: 'none'): Promise<Blob | File>;
        listen(channel: string, callback: (payload: string) => void): Promise<Unlisten>;
      }
    | undefined;
  const dialect = new LazyPgliteDialect(async () => {
    const [{ PGlite, types: pgliteTypes }, { PGliteDialect }] = await Promise.all([
      import('@electric-sql/pglite'),
      import('kysely-pglite-dialect'),
    ]);
    // Options go in the one-argument form: PGlite reads a second argument only when the first is a path.
    const opened = new PGlite({
      ...(dir === null ? {} : { dataDir: dir }),
      ...(options.loadDataDir === undefined ? {} : { loadDataDir: options.loadDataDir }),
      parsers: {
        [pgliteTypes.DATE]: (value: string) => value,
        [pgliteTypes.INT8]: (value: string) => Number(value),
      },
    });
    client = opened;
    return new PGliteDialect(opened).createDriver();
  });
  const db = new Kysely<Database>({ dialect });
  return {
    db,
    engine: 'pglite',
    close: () => db.destroy(),
    // One process, no connection to lose: PGlite calls back after the statement that committed.
    async listen(channel, onNotify) {
      if (!channelName.test(channel)) throw new Error(`Not a channel name: ${channel}`);
      await sql`select 1`.execute(db); // opens PGlite if no query has yet
      if (client === undefined) throw new Error('PGlite client missing after a query');
      return client.listen(channel, onNotify);
    },
    async dumpDataDir() {
      await sql`checkpoint`.execute(db); // also opens the client if nothing has yet
      if (client === undefined) throw new Error('PGlite client missing after a query');
      return client.dumpDataDir('none');
    },
  };
}

/** PostgreSQL when a URL is configured, else embedded PGlite in `<dataDir>/data`. */
export function openDatabase(config: { databaseUrl: string | null; dataDir: string }): DbHandle {
  return config.databaseUrl === null
    ? openPglite(`${config.dataDir}/data`)
    : openPostgres(config.databaseUrl);
}
