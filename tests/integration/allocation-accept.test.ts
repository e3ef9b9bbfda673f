import { describe, expect, it } from 'vitest';
import { acceptSuggestion } from '../../src/allocation/allocation.service.ts';
import { isAppError } from '../../src/errors.ts';
import { engines } from '../helpers/database.ts';
import { now, refusal, suggest, useAllocationWorld } from './allocation.world.ts';

/*
 * Accepting a proposal (tests/integration/allocation.world.ts, suggestions computed): the allocation,
 * the agency's count, the request's status and the audit entry together, or nothing.
 */
describe.each(engines)('allocation accept on %s', (engine) => {
  const w = useAllocationWorld(engine, suggest);

  it('accepts a proposal: allocation, place, request status, review dates and audit together', async () => {
    const [proposal] = await w.stored(w.requests.R1);
    const decision = await acceptSuggestion(w.db, proposal!.id, { now, actor: w.coordinator });
    expect(decision).toMatchObject({ decision: 'accepted', reviewDueOn: '2027-06-30', endsBy: '2028-03-31' });
    const allocation = await w.db
      .selectFrom('allocations')
      .selectAll()
      .where('request_id', '=', w.requests.R1)
      .executeTakeFirstOrThrow();
    expect(allocation).toMatchObject({
      agency_id: w.agencies.school,
      suggestion_id: proposal!.id,
      sitting_id: w.sittingId,
      decided_by_user_id: w.users.coordinator,
      decision: 'accepted',
      override_reason: null,
      review_due_on: '2027-06-30',
      ends_by: '2028-03-31',
    });
    expect(await w.activeCases(w.agencies.school)).toBe(1);
    expect(await w.status(w.requests.R1)).toBe('allocated');
    const audit = await w.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'allocation.accepted')
      .execute();
    expect(audit.map((a) => a.entity_id)).toEqual([String(decision.allocationId)]);
  });

  it('refuses a second decision on an allocated request, and an alternative accepted without a reason', async () => {
    const [proposal, alternative] = await w.stored(w.requests.R1);
    expect(
      (await refusal(() => acceptSuggestion(w.db, proposal!.id, { now, actor: w.coordinator }))).code,
    ).toBe('conflict');
    const error = await refusal(() => acceptSuggestion(w.db, alternative!.id, { now, actor: w.coordinator }));
    expect(error.code).toBe('invalid-input');
    expect(error.issues[0]?.field).toBe('suggestionId');
  });

  it.runIf(engine === 'postgres')(
    'lets exactly one of many concurrent accepts take the last place; the others get conflict',
    async () => {
      const last = await w.db
        .insertInto('agencies')
        .values({
          name: 'Last Place',
          kind: 'voluntary',
          specialisms: ['parenting'],
          city_wide: true,
          capacity: 3,
          active_cases: 2,
          contact_email: 'last@agency.example',
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      // Eight coordinators each see a (stale) proposal giving their request the same last place.
      const ids: number[] = [];
      for (let i = 0; i < 8; i++)
        ids.push(await w.addRequest(`RACE${i}`, { needs: ['parenting'], dob: '2016-01-01' }));
      const rows = await w.db
        .insertInto('suggestions')
        .values(
          ids.map((request_id) => ({
            sitting_id: w.sittingId,
            request_id,
            agency_id: last.id,
            rank: 0,
            score: 0.5,
            breakdown: '{}',
          })),
        )
        .returning('id')
        .execute();
      const results = await Promise.allSettled(
        rows.map((r) => acceptSuggestion(w.db, r.id, { now, actor: w.coordinator })),
      );
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost.map((r) => (isAppError(r.reason) ? r.reason.code : String(r.reason)))).toEqual(
        Array(7).fill('conflict'),
      );
      const agency = await w.db
        .selectFrom('agencies')
        .select(['active_cases', 'capacity'])
        .where('id', '=', last.id)
        .executeTakeFirstOrThrow();
      expect(agency.active_cases).toBe(agency.capacity);
      const allocated = await w.db
        .selectFrom('allocations')
        .select('request_id')
        .where('agency_id', '=', last.id)
        .execute();
      expect(allocated).toHaveLength(1);
      const statuses = await w.db.selectFrom('requests').select('status').where('id', 'in', ids).execute();
      expect(statuses.filter((r) => r.status === 'allocated')).toHaveLength(1);
      expect(statuses.filter((r) => r.status === 'on-agenda')).toHaveLength(7);
    },
  );
});
