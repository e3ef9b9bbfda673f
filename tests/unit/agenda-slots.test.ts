import { describe, expect, it } from 'vitest';
import { buildAgenda } from '../../src/domain/agenda.ts';
import { input, order, reasons, request } from '../helpers/agenda-input.ts';

// buildAgenda placing items in slots: pins, breaks, overflow and attendance windows.
describe('buildAgenda', () => {
  describe('slots', () => {
    it('keeps pinned items in their slot and fills around them', () => {
      const agenda = buildAgenda(
        input([request('H', { urgency: 'high' }), request('P', { urgency: 'low', pinnedSlot: 0 })]),
      );
      expect(agenda.items.map((i) => [i.requestIds[0], i.slot])).toEqual([
        ['P', 0],
        ['H', 1],
      ]);
    });

    it('lets the more pressing of two clashing pins keep its slot and flags the other', () => {
      const agenda = buildAgenda(
        input([
          request('H', { urgency: 'high', pinnedSlot: 2 }),
          request('L', { urgency: 'low', pinnedSlot: 2 }),
        ]),
      );
      expect(agenda.items.map((i) => [i.requestIds[0], i.slot, i.flags])).toEqual([
        ['L', 0, ['pin-conflict']],
        ['H', 2, []],
      ]);
    });

    it('skips the break in slot times and never runs an item across it (breakAfterSlot counts from 1)', () => {
      const agenda = buildAgenda(
        input(
          [
            request('A', { receivedAt: '2027-01-01T00:00:00Z' }),
            request('B', { children: 3 }),
            request('C', { urgency: 'low' }),
          ],
          { slots: 4, breakAfterSlot: 2, breakMinutes: 15 },
        ),
      );
      expect(agenda.items.map((i) => [i.requestIds[0], i.slot, i.startsAt, i.endsAt])).toEqual([
        ['A', 0, '2027-03-31T09:30:00+01:00', '2027-03-31T10:00:00+01:00'],
        ['C', 1, '2027-03-31T10:00:00+01:00', '2027-03-31T10:30:00+01:00'],
        ['B', 2, '2027-03-31T10:45:00+01:00', '2027-03-31T11:45:00+01:00'],
      ]);
    });

    it('defers overflow as no-slot, most pressing first, and never drops a request', () => {
      const agenda = buildAgenda(
        input(
          Array.from({ length: 5 }, (_, i) =>
            request(`R${i}`, { receivedAt: `2027-03-0${i + 1}T00:00:00Z` }),
          ),
          { slots: 3 },
        ),
      );
      expect(order(agenda)).toEqual(['R0', 'R1', 'R2']);
      expect(agenda.deferred).toEqual([
        { requestId: 'R3', reason: 'no-slot' },
        { requestId: 'R4', reason: 'no-slot' },
      ]);
    });

    it('lets a 1-slot item use a slot that a more pressing 2-slot item cannot fit in', () => {
      const agenda = buildAgenda(
        input(
          [
            request('H', { urgency: 'high' }),
            request('C', { complex: true }),
            request('L', { urgency: 'low' }),
          ],
          {
            slots: 2,
          },
        ),
      );
      expect(order(agenda)).toEqual(['H', 'L']);
      expect(reasons(agenda)).toEqual({ C: 'no-slot' });
    });
  });

  describe('attendance windows', () => {
    it('places an item inside its school window, in local time in summer and winter', () => {
      const window = { from: '11:00', to: '12:00' };
      const summer = buildAgenda(
        input([request('A'), request('W', { urgency: 'low', attendanceWindow: window })]),
      );
      expect(summer.items.find((i) => i.familyId === 'F-W')?.startsAt).toBe('2027-03-31T11:00:00+01:00');
      const winter = buildAgenda(
        input([request('A'), request('W', { urgency: 'low', attendanceWindow: window })], {
          startsAt: '2027-01-13T09:30:00Z',
        }),
      );
      expect(winter.items.find((i) => i.familyId === 'F-W')?.startsAt).toBe('2027-01-13T11:00:00+00:00');
    });

    it('keeps an early slot free for a narrow window rather than giving it to a wider one', () => {
      const agenda = buildAgenda(
        input([
          request('Wide', { urgency: 'high', attendanceWindow: { from: '09:30', to: '11:00' } }),
          request('Narrow', { urgency: 'low', attendanceWindow: { from: '09:30', to: '10:00' } }),
        ]),
      );
      expect(agenda.items.map((i) => [i.requestIds[0], i.slot, i.flags])).toEqual([
        ['Narrow', 0, []],
        ['Wide', 1, []],
      ]);
    });

    it('uses the overlap of sibling schools windows, and flags an item it could not fit inside', () => {
      const agenda = buildAgenda(
        input([
          request('R1', { familyId: 'F1', attendanceWindow: { from: '10:00', to: '12:00' } }),
          request('R2', { familyId: 'F1', attendanceWindow: { from: '11:30', to: '13:00' } }),
          request('X', { familyId: 'F2', attendanceWindow: { from: '15:00', to: '16:00' } }),
        ]),
      );
      expect(agenda.items.map((i) => [i.familyId, i.startsAt, i.flags])).toEqual([
        ['F2', '2027-03-31T09:30:00+01:00', ['outside-window']],
        ['F1', '2027-03-31T11:30:00+01:00', []],
      ]);
    });
  });
});
