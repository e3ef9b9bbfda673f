import { describe, expect, it } from 'vitest';
import { buildAgenda } from '../../src/domain/agenda.ts';
import { input, order, reasons, request } from '../helpers/agenda-input.ts';

describe('buildAgenda', () => {
  it('gives the issue example its slot with local start and end times', () => {
    const agenda = buildAgenda(
      input([
        request('R1', { familyId: 'F1', urgency: 'high', attendanceWindow: { from: '09:00', to: '12:00' } }),
      ]),
    );
    expect(agenda).toEqual({
      items: [
        {
          slot: 0,
          slotsUsed: 1,
          startsAt: '2027-03-31T09:30:00+01:00',
          endsAt: '2027-03-31T10:00:00+01:00',
          familyId: 'F1',
          requestIds: ['R1'],
          flags: [],
        },
      ],
      deferred: [],
    });
  });

  it('writes times in the hub zone even when the sitting start is given in UTC', () => {
    const agenda = buildAgenda(input([request('R1')], { startsAt: '2027-01-13T09:30:00Z' }));
    expect(agenda.items[0]?.startsAt).toBe('2027-01-13T09:30:00+00:00');
    const summer = buildAgenda(input([request('R1')], { startsAt: '2027-06-16T08:30:00Z' }));
    expect(summer.items[0]?.startsAt).toBe('2027-06-16T09:30:00+01:00');
  });

  it('keeps slots 30 elapsed minutes apart across a clock change (the hour that does not exist is skipped)', () => {
    const agenda = buildAgenda(
      input([request('A', { receivedAt: '2027-01-01T00:00:00Z' }), request('B')], {
        startsAt: '2027-03-28T00:30:00Z',
      }),
    );
    expect(agenda.items.map((i) => [i.startsAt, i.endsAt])).toEqual([
      ['2027-03-28T00:30:00+00:00', '2027-03-28T02:00:00+01:00'],
      ['2027-03-28T02:00:00+01:00', '2027-03-28T02:30:00+01:00'],
    ]);
  });

  describe('whole family', () => {
    it('hears siblings at different schools as one item', () => {
      const agenda = buildAgenda(
        input([
          request('R1', { familyId: 'F1', schoolId: 'S1' }),
          request('R2', { familyId: 'F1', schoolId: 'S2' }),
          request('R3', { familyId: 'F2' }),
        ]),
      );
      expect(agenda.items.map((i) => [i.familyId, i.requestIds])).toEqual([
        ['F1', ['R1', 'R2']],
        ['F2', ['R3']],
      ]);
    });

    it('gives an item 2 slots when its children add up to 3, or any request is complex', () => {
      const agenda = buildAgenda(
        input([
          request('R1', { familyId: 'F1', children: 2 }),
          request('R2', { familyId: 'F1', children: 1, receivedAt: '2027-03-02T10:00:00Z' }),
          request('R3', { familyId: 'F2', complex: true, receivedAt: '2027-03-03T10:00:00Z' }),
          request('R4', { familyId: 'F3', children: 2, receivedAt: '2027-03-04T10:00:00Z' }),
        ]),
      );
      expect(agenda.items.map((i) => [i.familyId, i.slot, i.slotsUsed])).toEqual([
        ['F1', 0, 2],
        ['F2', 2, 2],
        ['F3', 4, 1],
      ]);
      expect(agenda.items[0]?.endsAt).toBe('2027-03-31T10:30:00+01:00');
    });

    it('follows the configured complex size and threshold', () => {
      const agenda = buildAgenda(
        input([request('R1', { children: 4 })], {}, { complexSlots: 3, childrenForComplex: 5 }),
      );
      expect(agenda.items[0]?.slotsUsed).toBe(1);
      const big = buildAgenda(
        input([request('R1', { children: 5 })], {}, { complexSlots: 3, childrenForComplex: 5 }),
      );
      expect(big.items[0]?.slotsUsed).toBe(3);
    });

    it('takes the urgency of its most urgent request and the wait of its oldest', () => {
      const agenda = buildAgenda(
        input([
          request('A', { familyId: 'F1', urgency: 'normal', receivedAt: '2027-01-01T00:00:00Z' }),
          request('B1', { familyId: 'F2', urgency: 'low', receivedAt: '2027-03-01T00:00:00Z' }),
          request('B2', { familyId: 'F2', urgency: 'high', receivedAt: '2027-03-05T00:00:00Z' }),
        ]),
      );
      expect(agenda.items.map((i) => i.familyId)).toEqual(['F2', 'F1']);
      expect(agenda.items[0]?.requestIds).toEqual(['B2', 'B1']);
    });

    it('hears the rest of a family when one sibling lacks consent, flagged part-deferred', () => {
      const agenda = buildAgenda(
        input([
          request('R1', { familyId: 'F1', children: 2 }),
          request('R2', { familyId: 'F1', children: 1, consent: false }),
        ]),
      );
      expect(agenda.items).toMatchObject([{ requestIds: ['R1'], slotsUsed: 1, flags: ['part-deferred'] }]);
      expect(agenda.deferred).toEqual([{ requestId: 'R2', reason: 'consent-missing' }]);
    });

    it('defers the whole family for lack of a slot, never splitting siblings', () => {
      const agenda = buildAgenda(
        input(
          [
            request('R0', { urgency: 'high' }),
            request('R1', { familyId: 'F1' }),
            request('R2', { familyId: 'F1' }),
          ],
          { slots: 1 },
        ),
      );
      expect(order(agenda)).toEqual(['R0']);
      expect(reasons(agenda)).toEqual({ R1: 'no-slot', R2: 'no-slot' });
    });
  });

  describe('gates', () => {
    it('holds back a new request without consent as consent-missing, even with its proforma missing', () => {
      const agenda = buildAgenda(input([request('R1', { consent: false, proformaSubmitted: false })]));
      expect(agenda).toEqual({ items: [], deferred: [{ requestId: 'R1', reason: 'consent-missing' }] });
    });

    it('hears a review without a consent flag (consent was gained for the existing EHA)', () => {
      const agenda = buildAgenda(
        input([request('R1', { kind: 'review', consent: false, reviewDueAt: '2027-05-01T00:00:00Z' })]),
      );
      expect(order(agenda)).toEqual(['R1']);
    });

    it('defers a missing proforma under policy defer, and flags it under policy flag', () => {
      const missing = [request('R1', { proformaSubmitted: false })];
      expect(reasons(buildAgenda(input(missing)))).toEqual({ R1: 'proforma-missing' });
      const flagged = buildAgenda(input(missing, {}, { missingProforma: 'flag' }));
      expect(flagged.items[0]?.flags).toEqual(['proforma-missing']);
    });

    it('does not hold a proforma against a request before its deadline: it is pending', () => {
      const agenda = buildAgenda(
        input([request('R1', { proformaSubmitted: false, proformaDeadlinePassed: false })]),
      );
      expect(agenda.items[0]?.flags).toEqual(['proforma-pending']);
      expect(agenda.deferred).toEqual([]);
    });
  });

  describe('order', () => {
    it('puts high before normal before low, then the oldest, then the id', () => {
      const agenda = buildAgenda(
        input([
          request('N2', { receivedAt: '2027-03-02T00:00:00Z' }),
          request('L1', { urgency: 'low', receivedAt: '2027-01-01T00:00:00Z' }),
          request('N1b', { receivedAt: '2027-03-01T00:00:00Z' }),
          request('H1', { urgency: 'high', receivedAt: '2027-03-20T00:00:00Z' }),
          request('N1a', { receivedAt: '2027-03-01T00:00:00Z' }),
        ]),
      );
      expect(order(agenda)).toEqual(['H1', 'N1a', 'N1b', 'N2', 'L1']);
    });

    it('hears overdue reviews before the rest of their band', () => {
      const agenda = buildAgenda(
        input([
          request('N1', { receivedAt: '2027-01-01T00:00:00Z' }),
          request('V-due', {
            kind: 'review',
            reviewDueAt: '2027-03-30T00:00:00Z',
            receivedAt: '2027-03-20T00:00:00Z',
          }),
          request('V-later', {
            kind: 'review',
            reviewDueAt: '2027-04-30T00:00:00Z',
            receivedAt: '2027-02-01T00:00:00Z',
          }),
        ]),
      );
      expect(order(agenda)).toEqual(['V-due', 'N1', 'V-later']);
      expect(agenda.items[0]?.flags).toEqual(['review-overdue']);
    });

    it('raises a request carried over twice to the top of its band, not above a higher band', () => {
      const agenda = buildAgenda(
        input([
          request('H1', { urgency: 'high', receivedAt: '2027-03-20T00:00:00Z' }),
          request('N-old', { receivedAt: '2027-01-01T00:00:00Z', timesCarriedOver: 1 }),
          request('V-due', { kind: 'review', reviewDueAt: '2027-03-01T00:00:00Z' }),
          request('N-twice', { receivedAt: '2027-03-25T00:00:00Z', timesCarriedOver: 2 }),
        ]),
      );
      expect(order(agenda)).toEqual(['H1', 'N-twice', 'V-due', 'N-old']);
      expect(agenda.items[1]?.flags).toEqual(['carried-over']);
    });

    it('is the same whatever order the candidates come in', () => {
      const requests = [
        request('A', { familyId: 'F1' }),
        request('B', { familyId: 'F1', urgency: 'high' }),
        request('C', { attendanceWindow: { from: '11:00', to: '12:00' } }),
        request('D', { urgency: 'low', children: 3 }),
        request('E', { pinnedSlot: 3 }),
      ];
      expect(buildAgenda(input([...requests].reverse()))).toEqual(buildAgenda(input(requests)));
    });
  });
});
