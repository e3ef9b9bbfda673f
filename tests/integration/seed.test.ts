import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliActor } from '../../src/actor.ts';
import type { DbHandle } from '../../src/db/client.ts';
import { seedDemo } from '../../src/seed/seed.service.ts';
import { createTestDatabase, engines } from '../helpers/database.ts';

describe.each(engines)('demo seed on %s', (engine) => {
  let handle: DbHandle;
  beforeAll(async () => {
    handle = await createTestDatabase(engine);
  });
  afterAll(async () => {
    await handle.close();
  });

  it('loads a realistic city once, with siblings at different schools, and changes nothing the second time', async () => {
    const now = new Date('2027-03-15T10:00:00Z');
    const first = await seedDemo(handle.db, { now, actor: cliActor });
    expect(first).toMatchObject({ kind: 'seeded', localities: 6, schools: 30, agencies: 15, requests: 80 });
    const siblings = await handle.db
      .selectFrom('requests')
      .select(['family_id', sql<number>`count(distinct school_id)`.as('schools')])
      .groupBy('family_id')
      .having(sql`count(distinct school_id)`, '>', 1)
      .execute();
    expect(siblings.length).toBeGreaterThanOrEqual(5);
    const kinds = await handle.db.selectFrom('agencies').select('kind').distinct().execute();
    expect(kinds.length).toBeGreaterThanOrEqual(6);
    // Every request names its child by date of birth only: the demo holds no names.
    const named = await handle.db
      .selectFrom('children')
      .select('id')
      .where('given_name', 'is not', null)
      .execute();
    expect(named).toEqual([]);
    const second = await seedDemo(handle.db, { now, actor: cliActor });
    expect(second).toEqual({ kind: 'already-seeded', hubId: first.kind === 'seeded' ? first.hubId : -1 });
    const { n } = await handle.db
      .selectFrom('requests')
      .select(sql<number>`count(*)`.as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(n)).toBe(80);
  });
});
