import { describe, expect, it } from 'vitest';
import { localSlotSpan, localSlotTimes } from '../../src/agenda/local-slot-times.ts';
import { localIso, slotTimes } from '../../src/domain/agenda.ts';

/* The one rule for the local times of a sitting's slots (pages, API, proformas, requests). */

// A BST sitting: six 30-minute slots from 09:30 local, a 15-minute break after the fourth.
const sitting = {
  startsAt: '2027-03-31T08:30:00.000Z',
  slotMinutes: 30,
  slots: 6,
  breakAfterSlot: 4,
  breakMinutes: 15,
  timezone: 'Europe/London',
};

describe('local slot times', () => {
  it("are the domain's slot times as local ISO strings, shared and frozen", () => {
    const times = localSlotTimes(sitting);
    expect(times).toEqual(
      slotTimes(sitting).map((t) => ({
        slot: t.slot,
        startsAt: localIso(t.startsAt),
        endsAt: localIso(t.endsAt),
      })),
    );
    expect(times[0]).toEqual({
      slot: 0,
      startsAt: '2027-03-31T09:30:00+01:00',
      endsAt: '2027-03-31T10:00:00+01:00',
    });
    expect(times[4]?.startsAt).toBe('2027-03-31T11:45:00+01:00');
    expect(localSlotTimes({ ...sitting })).toBe(times);
    expect(Object.isFrozen(times) && Object.isFrozen(times[0])).toBe(true);
  });

  it('span the slots an item takes, across the break, cut at the last slot, null beyond the sitting', () => {
    expect(localSlotSpan(sitting, 3, 2)).toEqual({
      startsAt: '2027-03-31T11:00:00+01:00',
      endsAt: '2027-03-31T12:15:00+01:00',
    });
    expect(localSlotSpan(sitting, 5, 3)).toEqual({
      startsAt: '2027-03-31T12:15:00+01:00',
      endsAt: '2027-03-31T12:45:00+01:00',
    });
    expect(localSlotSpan(sitting, 6, 1)).toBeNull();
  });
});
