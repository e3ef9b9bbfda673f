import { describe, expect, it } from 'vitest';
import { overrideAllocation } from '../../src/allocation/allocation.service.ts';
import { engines } from '../helpers/database.ts';
import { agencyUser, now, refusal, suggest, useAllocationWorld } from './allocation.world.ts';

/*
 * Overriding the proposal (tests/integration/allocation.world.ts, suggestions computed): only with a
 * reason, only into a free place, and only by those who decide.
 */
describe.each(engines)('allocation override on %s', (engine) => {
  const w = useAllocationWorld(engine, suggest);

  it('requires a reason to override, and refuses a full agency without writing anything', async () => {
    const input = {
      requestId: w.requests.R2,
      agencyId: w.agencies.full,
      reason: '  ',
      sittingId: w.sittingId,
    };
    const noReason = await refusal(() => overrideAllocation(w.db, input, { now, actor: w.coordinator }));
    expect(noReason.code).toBe('invalid-input');
    expect(noReason.issues[0]?.field).toBe('reason');
    const full = await refusal(() =>
      overrideAllocation(w.db, { ...input, reason: 'Knows the family' }, { now, actor: w.coordinator }),
    );
    expect(full.code).toBe('conflict');
    expect(full.message).toContain('no free place');
    expect(
      await w.db.selectFrom('allocations').selectAll().where('request_id', '=', w.requests.R2).execute(),
    ).toEqual([]);
    expect(await w.status(w.requests.R2)).toBe('on-agenda');
  });

  it('overrides with a reason, linking the suggestion when the agency was an alternative', async () => {
    const suggestion = (await w.stored(w.requests.R2)).find((x) => x.agency_id === w.agencies.youth)!;
    expect(suggestion.rank).toBeGreaterThan(0);
    const decision = await overrideAllocation(
      w.db,
      {
        requestId: w.requests.R2,
        agencyId: w.agencies.youth,
        reason: 'Already known to the youth worker',
        sittingId: w.sittingId,
      },
      { now, actor: w.coordinator },
    );
    expect(decision.decision).toBe('overridden');
    const allocation = await w.db
      .selectFrom('allocations')
      .selectAll()
      .where('id', '=', decision.allocationId)
      .executeTakeFirstOrThrow();
    expect(allocation).toMatchObject({
      decision: 'overridden',
      override_reason: 'Already known to the youth worker',
      suggestion_id: suggestion.id,
    });
    const audit = await w.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'allocation.overridden')
      .executeTakeFirstOrThrow();
    expect(JSON.stringify(audit.details)).not.toContain('youth worker');
  });

  it('lets only coordinators, the chair or admins decide', async () => {
    const [suggestion] = await w.stored(w.requests.R3);
    const actor = agencyUser(w.users.familyAgency, w.agencies.family);
    const error = await refusal(() =>
      overrideAllocation(
        w.db,
        { requestId: w.requests.R3, agencyId: w.agencies.family, reason: 'x' },
        { now, actor },
      ),
    );
    expect(error.code).toBe('forbidden');
    expect(suggestion).toBeUndefined();
  });
});
