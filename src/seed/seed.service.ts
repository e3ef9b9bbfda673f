import type { Kysely } from 'kysely';
import { DateTime } from 'luxon';
import type { Database } from '../../schema/database.ts';
import type { Actor } from '../actor.ts';
import { writeAudit } from '../audit/audit.repository.ts';
import { importRows } from '../import/import.service.ts';
import type { InputRow } from '../import/read.ts';
import { demoData, demoLocalities, needTaxonomy } from './demo.ts';
import {
  findHubByName,
  insertClosure,
  insertHub,
  insertReferenceData,
  insertUsers,
} from './seed.repository.ts';

export type SeedResult =
  | {
      kind: 'seeded';
      hubId: number;
      localities: number;
      schools: number;
      agencies: number;
      requests: number;
      families: number;
      users: number;
    }
  | { kind: 'already-seeded'; hubId: number };

const rows = (list: Record<string, unknown>[]): InputRow[] =>
  list.map((values, i) => ({ row: i + 1, values }));

/**
 * Loads the demo city in one transaction (all or nothing). Running it again changes nothing.
 * Rows go through the same import checks as `hub import`.
 */
export async function seedDemo(
  db: Kysely<Database>,
  options: { now: Date; actor: Actor },
): Promise<SeedResult> {
  const data = demoData(DateTime.fromJSDate(options.now).toISO() as string);
  const existing = await findHubByName(db, data.hub.name);
  if (existing !== null) return { kind: 'already-seeded', hubId: existing };
  return db.transaction().execute(async (trx) => {
    await insertReferenceData(trx, demoLocalities, needTaxonomy);
    const hubId = await insertHub(trx, data.hub);
    // The council's Christmas shutdown closes every hub.
    const year = DateTime.fromJSDate(options.now).year;
    for (const y of [year, year + 1])
      await insertClosure(trx, {
        hubId: null,
        startsOn: `${y}-12-24`,
        endsOn: `${y + 1}-01-01`,
        reason: 'Christmas closure',
      });
    await writeAudit(trx, options.actor, {
      action: 'hub.created',
      entity: 'hub',
      entityId: hubId,
      details: { name: data.hub.name },
    });
    const schools = await importRows(trx, 'schools', rows(data.schools), { actor: options.actor });
    const agencies = await importRows(trx, 'agencies', rows(data.agencies), { actor: options.actor });
    const requests = await importRows(trx, 'requests', rows(data.requests), { actor: options.actor });
    await insertUsers(trx, data.users);
    return {
      kind: 'seeded',
      hubId,
      localities: demoLocalities.length,
      schools: schools.rows,
      agencies: agencies.rows,
      requests: requests.rows,
      families: new Set(data.requests.map((r) => r.FamilyReference)).size,
      users: data.users.length,
    };
  });
}
