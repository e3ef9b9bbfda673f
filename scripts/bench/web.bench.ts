import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { cliActor } from '../../src/actor.ts';
import { buildAndStoreAgenda } from '../../src/agenda/agenda.service.ts';
import { createApiToken } from '../../src/auth/api-token.service.ts';
import { startSession } from '../../src/auth/session.service.ts';
import { planAndStoreSittings } from '../../src/calendar/sitting.service.ts';
import { loadConfig } from '../../src/config.ts';
import { openChangeFeed } from '../../src/db/change-feed.ts';
import { type DbHandle, openPglite, openPostgres } from '../../src/db/client.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { importRows } from '../../src/import/import.service.ts';
import { demoData } from '../../src/seed/demo.ts';
import { insertHub } from '../../src/seed/seed.repository.ts';
import { seedDemo } from '../../src/seed/seed.service.ts';
import { buildApp } from '../../src/web/app.ts';

/*
 * The web under load: 50 hubs of data (about 5,000 requests), each real page measured beside a
 * trivial route (/healthz) in the same run with autocannon. Target: each real page at least a
 * quarter of the trivial route's throughput, p99 under 100 ms. Runs on PostgreSQL (a database of
 * its own, dropped afterwards) when DATABASE_URL or the local server answers, else on PGlite.
 * autocannon runs as a process of its own, so the load it makes does not share the server's thread.
 * The pages are measured as `hub serve` runs them (the change feed and the page cache on:
 * src/web/page-cache.ts) and then with the cache off, which shows what every first view of a page
 * after a change costs.
 */

const now = new Date('2027-03-01T10:00:00Z');
const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function openBenchDatabase(): Promise<{ handle: DbHandle; drop: () => Promise<void> }> {
  const name = `hub_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  try {
    await admin.connect();
    await admin.query(`create database ${name}`);
  } catch {
    console.log('PostgreSQL not reachable: measuring on PGlite');
    return { handle: openPglite(null), drop: async () => {} };
  } finally {
    await admin.end().catch(() => {});
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const handle = openPostgres(url.toString(), { max: 10 });
  return {
    handle,
    drop: async () => {
      const dropper = new pg.Client({ connectionString: adminUrl });
      await dropper.connect();
      await dropper.query(`drop database if exists ${name} with (force)`);
      await dropper.end();
    },
  };
}

/** 50 hubs of about 100 requests each, their sittings planned and first agendas built. */
async function loadData(handle: DbHandle): Promise<{ sittingIds: number[] }> {
  const { db } = handle;
  await seedDemo(db, { now, actor: cliActor });
  const hubIds = [(await db.selectFrom('hubs').select('id').executeTakeFirstOrThrow()).id];
  for (let h = 2; h <= 50; h++) {
    const data = demoData(now.toISOString(), 1000 + h);
    const name = `Hub ${h}`;
    hubIds.push(await insertHub(db, { ...data.hub, name }));
    const extra = demoData(now.toISOString(), 5000 + h).requests.slice(0, 20);
    const rows = [...data.requests, ...extra].map((r, i) => ({
      row: i + 1,
      values: {
        ...r,
        Hub: name,
        Reference: `H${h}-${i}`,
        FamilyReference: `H${h}-${i < 80 ? '' : 'X'}${String(r.FamilyReference)}`,
        ExternalReference: `LL-H${h}-${i}`,
      },
    }));
    await importRows(db, 'requests', rows, { actor: cliActor });
  }
  const sittingIds: number[] = [];
  for (const hubId of hubIds) {
    await planAndStoreSittings(db, hubId, { now });
    const first = await db
      .selectFrom('sittings')
      .select('id')
      .where('hub_id', '=', hubId)
      .orderBy('date')
      .executeTakeFirstOrThrow();
    await buildAndStoreAgenda(db, first.id, { now, actor: cliActor });
    sittingIds.push(first.id);
  }
  return { sittingIds };
}

interface Measured {
  name: string;
  rps: number;
  p99: number;
  errors: number;
}

const autocannonBin = fileURLToPath(new URL('../../node_modules/autocannon/autocannon.js', import.meta.url));

async function measure(
  name: string,
  url: string,
  headers: Record<string, string>,
  seconds: number,
): Promise<Measured> {
  const args = [autocannonBin, '--json', '--connections', '8', '--duration', String(seconds)];
  for (const [header, value] of Object.entries(headers)) args.push('--headers', `${header}=${value}`);
  const { stdout } = await promisify(execFile)(process.execPath, [...args, url], {
    maxBuffer: 64 * 1024 * 1024,
  });
  const result = JSON.parse(stdout) as {
    requests: { average: number };
    latency: { p99: number };
    errors: number;
    non2xx: number;
  };
  return {
    name,
    rps: result.requests.average,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
  };
}

export default async function run({ full }: { full: boolean }): Promise<void> {
  const seconds = full ? 10 : 4;
  const { handle, drop } = await openBenchDatabase();
  try {
    await migrateToLatest(handle.db);
    const t0 = performance.now();
    const { sittingIds } = await loadData(handle);
    const requests = await handle.db
      .selectFrom('requests')
      .select(handle.db.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    console.log(
      `data: 50 hubs, ${Number(requests.n)} requests, ${sittingIds.length} agendas built (${Math.round(performance.now() - t0)} ms, ${handle.engine})`,
    );

    const config = loadConfig({
      LOG_LEVEL: 'silent',
      SESSION_SECRET: 'bench-session-secret-of-at-least-32-characters',
    });
    const sessionOf = async (role: 'chair' | 'coordinator') => {
      const user = await handle.db
        .selectFrom('users')
        .select('id')
        .where('role', '=', role)
        .executeTakeFirstOrThrow();
      return { cookie: `hub_session=${(await startSession(handle.db, user.id, now)).sessionId}` };
    };
    const chair = await sessionOf('chair');
    // The allocation queue is the coordinator's page (a chair is refused it).
    const coordinator = await sessionOf('coordinator');
    const token = await createApiToken(handle.db, { name: 'bench', role: 'admin' }, { actor: cliActor, now });
    const bearer = { authorization: `Bearer ${token.token}` };
    const sitting = sittingIds[Math.floor(sittingIds.length / 2)];
    const pages: Array<[string, string, Record<string, string>]> = [
      ['agenda review page', `/sittings/${sitting}/agenda`, chair],
      ['GET /api/v1/requests', '/api/v1/requests', bearer],
      ['allocation queue page', `/sittings/${sitting}/allocations`, coordinator],
    ];

    /** Measures `routes` on a fresh app; each is fetched once first (templates, query plans). */
    const measureApp = async (
      pageCacheBytes: number,
      routes: Array<[string, string, Record<string, string>]>,
    ): Promise<Measured[]> => {
      // As `hub serve` runs: with the change feed, so repeat views need no database read.
      const changes = await openChangeFeed(handle);
      const app = await buildApp({
        db: handle.db,
        config: { ...config, pageCacheBytes },
        now: () => now,
        logger: false,
        changes,
      });
      await app.listen({ port: 0, host: '127.0.0.1' });
      const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
      try {
        const results: Measured[] = [];
        for (const [name, path, headers] of routes) {
          const warm = await fetch(`${base}${path}`, { headers });
          if (warm.status !== 200) throw new Error(`${name}: ${warm.status} ${await warm.text()}`);
          results.push(await measure(name, `${base}${path}`, headers, seconds));
        }
        return results;
      } finally {
        await app.close();
        await changes.close();
      }
    };
    const warm = await measureApp(config.pageCacheBytes, [
      ['trivial: GET /healthz', '/healthz', {}],
      ...pages,
    ]);
    const cold = await measureApp(
      0,
      pages.map(([name, path, headers]) => [`${name} (cache off)`, path, headers]),
    );

    const trivial = warm[0] as Measured;
    console.log(
      `${'route'.padEnd(36)} ${'req/s'.padStart(8)} ${'p99 ms'.padStart(7)} ${'vs trivial'.padStart(10)}  target (>= 0.25, p99 < 100 ms)`,
    );
    for (const r of [...warm, ...cold]) {
      const ratio = r.rps / trivial.rps;
      const verdict =
        r === trivial
          ? 'reference'
          : cold.includes(r)
            ? 'for information'
            : ratio >= 0.25 && r.p99 < 100
              ? 'met'
              : 'NOT MET';
      console.log(
        `${r.name.padEnd(36)} ${r.rps.toFixed(0).padStart(8)} ${String(r.p99).padStart(7)} ${ratio.toFixed(2).padStart(10)}  ${verdict}${r.errors ? ` (${r.errors} errors)` : ''}`,
      );
    }
  } finally {
    await handle.close();
    await drop();
  }
}
