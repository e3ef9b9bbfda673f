import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { engines } from '../helpers/database.ts';
import { suggest, useAllocationWorld } from './allocation.world.ts';

/*
 * Computing suggestions (tests/integration/allocation.world.ts): the proposal and alternatives are
 * stored with their scores, recomputed in place, and why a request has none is stored with them.
 */
describe.each(engines)('allocation suggestions on %s', (engine) => {
  const w = useAllocationWorld(engine);

  it('stores the proposal and alternatives with exact scores and readable breakdowns', async () => {
    const { proposal } = await suggest(w);
    const r1 = await w.stored(w.requests.R1);
    expect(r1.map((x) => [x.rank, x.agency_id])).toEqual([
      [0, w.agencies.school],
      [1, w.agencies.family],
    ]);
    const breakdown = r1[0]!.breakdown as { text: string };
    expect(breakdown.text).toBe(
      'needs 2/2 covered (attendance, parenting); same locality; already involved; 5 of 5 places free; school suits 1/2 needs',
    );
    expect(r1[0]!.score).toBe(proposal.assignments.find((a) => a.requestId === String(w.requests.R1))!.score);
    // Ages are taken on the sitting day: only R2's child is already 12.
    expect((await w.stored(w.requests.R2)).map((x) => x.agency_id)).toContain(w.agencies.youth);
    expect(r1.map((x) => x.agency_id)).not.toContain(w.agencies.youth);
    expect(proposal.unassigned).toEqual([
      expect.objectContaining({ requestId: String(w.requests.R3), reason: 'locality' }),
    ]);
    const audit = await w.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'suggestions.computed')
      .execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]!.details).toMatchObject({ requests: 3, assigned: 2 });
  });

  it('recomputes in place: the same rows, never duplicated', async () => {
    const before = await w.db
      .selectFrom('suggestions')
      .select(['request_id', 'agency_id', 'rank', 'score'])
      .orderBy('id')
      .execute();
    await suggest(w);
    const after = await w.db
      .selectFrom('suggestions')
      .select(['request_id', 'agency_id', 'rank', 'score'])
      .orderBy('id')
      .execute();
    expect(after).toEqual(before);
  });

  it('stores why a request has no proposal, replaced on each computation in the same transaction', async () => {
    const reasons = () =>
      w.db
        .selectFrom('unassigned_reasons')
        .select(['request_id', 'reason'])
        .where('sitting_id', '=', w.sittingId)
        .orderBy('request_id')
        .execute();
    // R3 (housing, east): the only agency working on housing serves the west.
    expect(await reasons()).toEqual([{ request_id: w.requests.R3, reason: 'locality' }]);
    const suggestionsNow = () =>
      w.db.selectFrom('suggestions').select(['request_id', 'agency_id', 'rank']).orderBy('id').execute();
    const before = await suggestionsNow();

    // The agency takes the east too: R3 gets a lead, and its stored reason goes.
    const serve = (localities: string[]) =>
      w.db.updateTable('agencies').set({ localities }).where('id', '=', w.agencies.family).execute();
    await serve(['west', 'east']);
    await suggest(w);
    expect(await reasons()).toEqual([]);
    expect((await w.stored(w.requests.R3)).map((x) => x.rank)).toContain(0);

    // Back to the west only: the reason is stored again, and a computation that fails half-way
    // (here the reasons' insert is refused) leaves the previous suggestions and reasons as they were.
    await serve(['west']);
    await suggest(w);
    expect(await reasons()).toEqual([{ request_id: w.requests.R3, reason: 'locality' }]);
    expect(await suggestionsNow()).toEqual(before);
    await sql
      .raw(`create function refuse_reasons() returns trigger language plpgsql as $$
        begin raise exception 'refused for the test'; end $$`)
      .execute(w.db);
    await sql
      .raw(
        'create trigger refuse_reasons before insert on unassigned_reasons for each row execute function refuse_reasons()',
      )
      .execute(w.db);
    try {
      await serve(['west', 'east']);
      await w.db.updateTable('agencies').set({ active: false }).where('id', '=', w.agencies.school).execute();
      await expect(suggest(w)).rejects.toThrow('refused for the test');
    } finally {
      await sql.raw('drop trigger refuse_reasons on unassigned_reasons').execute(w.db);
      await sql.raw('drop function refuse_reasons()').execute(w.db);
      await serve(['west']);
      await w.db.updateTable('agencies').set({ active: true }).where('id', '=', w.agencies.school).execute();
    }
    expect(await suggestionsNow()).toEqual(before);
    expect(await reasons()).toEqual([{ request_id: w.requests.R3, reason: 'locality' }]);
  });
});
