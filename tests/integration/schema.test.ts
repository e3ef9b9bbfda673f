import { readFileSync } from 'node:fs';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderDatabaseType } from '../../scripts/database-type.ts';
import type { DbHandle } from '../../src/db/client.ts';
import { createTestDatabase, engines } from '../helpers/database.ts';

/** Runs `work` and returns the database's refusal (or null when it was accepted). */
async function refusal(work: () => Promise<unknown>): Promise<string | null> {
  try {
    await work();
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

describe.each(engines)('schema on %s', (engine) => {
  let handle: DbHandle;
  let ids: {
    hub: number;
    sitting: number;
    school: number;
    agency: number;
    family: number;
    request: number;
    user: number;
  };

  beforeAll(async () => {
    handle = await createTestDatabase(engine);
    const { db } = handle;
    await db.insertInto('localities').values({ code: 'west', name: 'West' }).execute();
    await db.insertInto('needs').values({ code: 'parenting', label: 'Parenting' }).execute();
    const hub = await db
      .insertInto('hubs')
      .values({
        name: 'City Hub',
        rrule: 'FREQ=WEEKLY;INTERVAL=2;BYDAY=WE',
        first_sitting: '2027-01-06',
        start_time: '09:30',
        slots_per_sitting: 8,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const sitting = await db
      .insertInto('sittings')
      .values({
        hub_id: hub.id,
        date: '2027-01-06',
        starts_at: '2027-01-06T09:30:00Z',
        ends_at: '2027-01-06T13:30:00Z',
        slot_count: 8,
        slot_minutes: 30,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const school = await db
      .insertInto('schools')
      .values({ urn: 120101, name: 'Abbey Primary School', locality: 'west' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const agency = await db
      .insertInto('agencies')
      .values({
        name: 'Family Support West',
        kind: 'family-support',
        localities: ['west'],
        capacity: 1,
        contact_email: 'fs@example.org',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const family = await db
      .insertInto('families')
      .values({ reference: 'FAM-1', locality: 'west' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const request = await db
      .insertInto('requests')
      .values({
        reference: 'EH-1',
        hub_id: hub.id,
        kind: 'new',
        family_id: family.id,
        school_id: school.id,
        referrer_name: 'A. Patel',
        referrer_organisation: 'Abbey',
        received_at: '2027-01-01T10:00:00Z',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const user = await db
      .insertInto('users')
      .values({ email: 'co@example.org', display_name: 'Coordinator', role: 'coordinator' })
      .returning('id')
      .executeTakeFirstOrThrow();
    ids = {
      hub: hub.id,
      sitting: sitting.id,
      school: school.id,
      agency: agency.id,
      family: family.id,
      request: request.id,
      user: user.id,
    };
  });

  afterAll(async () => {
    await handle.close();
  });

  it('matches the committed Database type (schema/database.ts is generated from the migrations)', async () => {
    const committed = readFileSync(new URL('../../schema/database.ts', import.meta.url), 'utf8');
    const rendered = await renderDatabaseType(handle.db);
    // The committed file is formatted by biome; compare ignoring layout.
    const squash = (s: string) => s.replace(/\s+/g, ' ').replace(/;\s*}/g, ' }').trim();
    expect(squash(committed), 'schema/database.ts is stale: run npm run db:types').toBe(squash(rendered));
  });

  it('refuses a duplicate school URN', async () => {
    const message = await refusal(() =>
      handle.db.insertInto('schools').values({ urn: 120101, name: 'Other', locality: 'west' }).execute(),
    );
    expect(message).toMatch(/schools_urn_key|duplicate key/);
  });

  it('refuses a URN that is not six digits and a school in an unknown locality', async () => {
    expect(
      await refusal(() =>
        handle.db.insertInto('schools').values({ urn: 12345, name: 'X', locality: 'west' }).execute(),
      ),
    ).toMatch(/check/);
    expect(
      await refusal(() =>
        handle.db.insertInto('schools').values({ urn: 120199, name: 'X', locality: 'mars' }).execute(),
      ),
    ).toMatch(/foreign key/);
  });

  it('refuses an allocation to an unknown agency', async () => {
    const message = await refusal(() =>
      handle.db
        .insertInto('allocations')
        .values({
          request_id: ids.request,
          agency_id: 999_999,
          decided_by_user_id: ids.user,
          decision: 'accepted',
          review_due_on: '2027-04-06',
          ends_by: '2028-01-06',
        })
        .execute(),
    );
    expect(message).toMatch(/foreign key/);
  });

  it('refuses an override without a reason', async () => {
    const message = await refusal(() =>
      handle.db
        .insertInto('allocations')
        .values({
          request_id: ids.request,
          agency_id: ids.agency,
          decided_by_user_id: ids.user,
          decision: 'overridden',
          override_reason: '  ',
          review_due_on: '2027-04-06',
          ends_by: '2028-01-06',
        })
        .execute(),
    );
    expect(message).toMatch(/allocations_check|check constraint/);
  });

  it("refuses an agenda item in a slot beyond the sitting's slot count", async () => {
    const beyond = await refusal(() =>
      handle.db
        .insertInto('agenda_items')
        .values({ sitting_id: ids.sitting, sitting_slot_count: 8, slot: 8 })
        .execute(),
    );
    expect(beyond).toMatch(/check constraint/);
    const twoSlotsAtTheEnd = await refusal(() =>
      handle.db
        .insertInto('agenda_items')
        .values({ sitting_id: ids.sitting, sitting_slot_count: 8, slot: 7, slots_used: 2 })
        .execute(),
    );
    expect(twoSlotsAtTheEnd).toMatch(/check constraint/);
    // Lying about the slot count does not help: (sitting, slot count) must match the sitting.
    const lie = await refusal(() =>
      handle.db
        .insertInto('agenda_items')
        .values({ sitting_id: ids.sitting, sitting_slot_count: 20, slot: 12 })
        .execute(),
    );
    expect(lie).toMatch(/foreign key/);
  });

  it('refuses two agenda items in overlapping slots', async () => {
    await handle.db
      .insertInto('agenda_items')
      .values({ sitting_id: ids.sitting, sitting_slot_count: 8, slot: 2, slots_used: 2 })
      .execute();
    const overlap = await refusal(() =>
      handle.db
        .insertInto('agenda_items')
        .values({ sitting_id: ids.sitting, sitting_slot_count: 8, slot: 3 })
        .execute(),
    );
    expect(overlap).toMatch(/already taken/);
    await handle.db
      .insertInto('agenda_items')
      .values({ sitting_id: ids.sitting, sitting_slot_count: 8, slot: 4 })
      .execute();
  });

  it('refuses more active cases than places', async () => {
    const message = await refusal(() =>
      handle.db.updateTable('agencies').set({ active_cases: 2 }).where('id', '=', ids.agency).execute(),
    );
    expect(message).toMatch(/agencies_check|check constraint/);
  });

  it('refuses consent marked given without when and by whom', async () => {
    const message = await refusal(() =>
      handle.db.updateTable('requests').set({ consent_given: true }).where('id', '=', ids.request).execute(),
    );
    expect(message).toMatch(/check constraint/);
  });

  it('refuses a closed request that no person closed', async () => {
    const message = await refusal(() =>
      handle.db.updateTable('requests').set({ status: 'closed' }).where('id', '=', ids.request).execute(),
    );
    expect(message).toMatch(/check constraint/);
  });

  it('refuses a user of role school with no school, and an email with several recipients in the outbox', async () => {
    expect(
      await refusal(() =>
        handle.db
          .insertInto('users')
          .values({ email: 'dsl@example.org', display_name: 'DSL', role: 'school' })
          .execute(),
      ),
    ).toMatch(/check constraint/);
    expect(
      await refusal(() =>
        handle.db
          .insertInto('email_outbox')
          .values({
            idempotency_key: 'k',
            template: 'proforma-request',
            to_address: 'a@x.org,b@y.org',
            scheduled_for: new Date(),
            message_id: '<m@x>',
          })
          .execute(),
      ),
    ).toMatch(/check constraint/);
  });

  it('keeps the audit log append-only', async () => {
    await handle.db
      .insertInto('audit_log')
      .values({ actor: 'system:test', action: 'request.created', entity: 'request', entity_id: '1' })
      .execute();
    expect(
      await refusal(() => handle.db.updateTable('audit_log').set({ actor: 'someone-else' }).execute()),
    ).toMatch(/append-only/);
    expect(await refusal(() => handle.db.deleteFrom('audit_log').execute())).toMatch(/append-only/);
    const { count } = await handle.db
      .selectFrom('audit_log')
      .select(sql<number>`count(*)`.as('count'))
      .executeTakeFirstOrThrow();
    expect(Number(count)).toBe(1);
  });
});
