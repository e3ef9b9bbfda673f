import { type Kysely, sql, type Transaction } from 'kysely';
import type { Database } from '../../schema/database.ts';

/*
 * Read-only lists of the hub's reference data (hubs, schools, agencies) for the API and pages.
 * Keyset pagination by id: rows with id > `afterId`, at most `limit`.
 */

type Conn = Kysely<Database> | Transaction<Database>;

export interface Page {
  afterId: number;
  limit: number;
}

export async function listHubRows(db: Conn, page: Page) {
  return db
    .selectFrom('hubs')
    .select([
      'id',
      'name',
      'timezone',
      'rrule',
      sql<string>`first_sitting::text`.as('first_sitting'),
      'start_time',
      'slot_minutes',
      'slots_per_sitting',
      'break_after_slot',
      'break_minutes',
    ])
    .where('id', '>', page.afterId)
    .orderBy('id')
    .limit(page.limit)
    .execute();
}

export async function listSchoolRows(db: Conn, page: Page) {
  return db
    .selectFrom('schools')
    .select(['id', 'urn', 'name', 'locality', 'phase'])
    .where('id', '>', page.afterId)
    .orderBy('id')
    .limit(page.limit)
    .execute();
}

export async function listAgencyRows(db: Conn, page: Page) {
  return db
    .selectFrom('agencies')
    .select([
      'id',
      'name',
      'kind',
      'specialisms',
      'localities',
      'city_wide',
      'min_age',
      'max_age',
      'capacity',
      'active_cases',
      'active',
    ])
    .where('id', '>', page.afterId)
    .orderBy('id')
    .limit(page.limit)
    .execute();
}
