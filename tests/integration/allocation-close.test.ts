import { describe, expect, it } from 'vitest';
import { acceptSuggestion, closeAllocation } from '../../src/allocation/allocation.service.ts';
import { engines } from '../helpers/database.ts';
import { agencyUser, now, refusal, suggest, useAllocationWorld } from './allocation.world.ts';

/*
 * Closing a case (tests/integration/allocation.world.ts): R1's proposal, its own school's early help,
 * is accepted first, so the school agency has one active case.
 */
describe.each(engines)('allocation close on %s', (engine) => {
  const w = useAllocationWorld(engine, async (world) => {
    await suggest(world);
    const [proposal] = await world.stored(world.requests.R1);
    await acceptSuggestion(world.db, proposal!.id, { now, actor: world.coordinator });
  });

  it('closes a case for the agency only: outcome recorded, place released, request closed', async () => {
    const allocation = await w.db
      .selectFrom('allocations')
      .selectAll()
      .where('request_id', '=', w.requests.R1)
      .executeTakeFirstOrThrow();
    const other = agencyUser(w.users.familyAgency, w.agencies.family);
    const own = agencyUser(w.users.schoolAgency, w.agencies.school);
    const input = { allocationId: allocation.id, outcome: 'outcomes-met' };
    expect((await refusal(() => closeAllocation(w.db, input, { now, actor: other }))).code).toBe('not-found');
    expect(
      (await refusal(() => closeAllocation(w.db, { ...input, outcome: 'done' }, { now, actor: own }))).code,
    ).toBe('invalid-input');
    await closeAllocation(w.db, input, { now, actor: own });
    const closed = await w.db
      .selectFrom('allocations')
      .selectAll()
      .where('id', '=', allocation.id)
      .executeTakeFirstOrThrow();
    expect(closed.outcome).toBe('outcomes-met');
    expect(closed.closed_at).toEqual(now);
    expect(await w.activeCases(w.agencies.school)).toBe(0);
    const request = await w.db
      .selectFrom('requests')
      .selectAll()
      .where('id', '=', w.requests.R1)
      .executeTakeFirstOrThrow();
    expect(request).toMatchObject({
      status: 'closed',
      closed_by_user_id: w.users.schoolAgency,
      closed_reason: 'case closed: outcomes-met',
    });
    expect((await refusal(() => closeAllocation(w.db, input, { now, actor: own }))).code).toBe('conflict');
    expect(await w.activeCases(w.agencies.school)).toBe(0);
  });
});
