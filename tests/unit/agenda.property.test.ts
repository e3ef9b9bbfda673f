import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AgendaCandidate,
  type AgendaInput,
  buildAgenda,
  slotRangeValid,
} from '../../src/domain/agenda.ts';
import {
  type AgendaPriority,
  compareAgendaPriority,
  familyPriority,
  requestPriority,
} from '../../src/domain/agenda-priority.ts';

/*
 * Properties over random sittings and candidates: small pools of families and windows so siblings,
 * clashing pins, breaks, complex items and overflow all happen often.
 */
const windows = [
  null,
  null,
  { from: '09:00', to: '10:30' },
  { from: '10:00', to: '12:00' },
  { from: '11:30', to: '12:30' },
];

const inputArb: fc.Arbitrary<AgendaInput> = fc
  .record({
    slots: fc.integer({ min: 1, max: 14 }),
    breakAt: fc.option(fc.integer({ min: 1, max: 13 })),
    complexSlots: fc.integer({ min: 1, max: 3 }),
    childrenForComplex: fc.integer({ min: 2, max: 4 }),
    missingProforma: fc.constantFrom('defer' as const, 'flag' as const),
    familyPins: fc.array(fc.option(fc.integer({ min: 0, max: 13 }), { freq: 3 }), {
      minLength: 8,
      maxLength: 8,
    }),
    requests: fc.array(
      fc.record({
        family: fc.integer({ min: 0, max: 7 }),
        kind: fc.constantFrom('new' as const, 'review' as const),
        urgency: fc.constantFrom('high' as const, 'normal' as const, 'low' as const),
        day: fc.integer({ min: 1, max: 28 }),
        consent: fc.boolean(),
        proformaSubmitted: fc.boolean(),
        proformaDeadlinePassed: fc.boolean(),
        children: fc.integer({ min: 1, max: 3 }),
        complex: fc.boolean(),
        timesCarriedOver: fc.integer({ min: 0, max: 3 }),
        reviewDay: fc.integer({ min: 1, max: 60 }),
        window: fc.constantFrom(...windows),
        pinned: fc.boolean(),
      }),
      { maxLength: 30 },
    ),
  })
  .map(({ slots, breakAt, familyPins, requests, ...policy }) => ({
    sitting: {
      startsAt: '2027-03-31T09:30:00+01:00',
      slotMinutes: 30,
      slots,
      breakAfterSlot: breakAt !== null && breakAt < slots ? breakAt : null,
      breakMinutes: 15,
    },
    policy,
    requests: requests.map<AgendaCandidate>((r, i) => ({
      id: `R${String(i).padStart(2, '0')}`,
      familyId: `F${r.family}`,
      schoolId: `S${i % 3}`,
      kind: r.kind,
      urgency: r.urgency,
      receivedAt: `2027-02-${String(r.day).padStart(2, '0')}T09:00:00Z`,
      consent: r.consent,
      proformaSubmitted: r.proformaSubmitted,
      proformaDeadlinePassed: r.proformaDeadlinePassed,
      children: r.children,
      complex: r.complex,
      timesCarriedOver: r.timesCarriedOver,
      reviewDueAt: r.kind === 'review' ? `2027-03-01T00:00:00Z` : null,
      attendanceWindow: r.window,
      // The service gives every request of a pinned item the item's slot.
      pinnedSlot: r.pinned ? (familyPins[r.family] ?? null) : null,
    })),
  }));

const sittingStart = Date.parse('2027-03-31T09:30:00+01:00');

describe('buildAgenda properties', () => {
  it('puts every request exactly once in items or deferred', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const agenda = buildAgenda(input);
        const seen = [
          ...agenda.items.flatMap((i) => i.requestIds),
          ...agenda.deferred.map((d) => d.requestId),
        ];
        expect(seen.sort()).toEqual(input.requests.map((r) => r.id).sort());
      }),
      { numRuns: 500 },
    );
  });

  it('never double-books a slot, runs past the sitting or across the break', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const taken = new Set<number>();
        for (const item of buildAgenda(input).items) {
          expect(
            slotRangeValid(
              { slots: input.sitting.slots, breakAfterSlot: input.sitting.breakAfterSlot },
              item.slot,
              item.slotsUsed,
            ),
          ).toBe(true);
          for (let c = item.slot; c < item.slot + item.slotsUsed; c++) {
            expect(taken.has(c)).toBe(false);
            taken.add(c);
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it('hears siblings together: one item per family, and no-slot defers the whole family', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const agenda = buildAgenda(input);
        const families = agenda.items.map((i) => i.familyId);
        expect(new Set(families).size).toBe(families.length);
        const familyOf = new Map(input.requests.map((r) => [r.id, r.familyId]));
        for (const item of agenda.items)
          for (const id of item.requestIds) expect(familyOf.get(id)).toBe(item.familyId);
        const noSlotFamilies = new Set(
          agenda.deferred.filter((d) => d.reason === 'no-slot').map((d) => familyOf.get(d.requestId)),
        );
        for (const family of noSlotFamilies) expect(families).not.toContain(family);
      }),
      { numRuns: 500 },
    );
  });

  it('keeps pinned items in their slot unless the pin is impossible or taken by a more pressing pin', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const agenda = buildAgenda(input);
        // The item's pin comes from the requests it holds (a gated-out sibling's pin does not count).
        const byId = new Map(input.requests.map((r) => [r.id, r]));
        const pinOf = new Map<string, number>();
        for (const item of agenda.items) {
          const pins = item.requestIds.flatMap((id) => {
            const pin = byId.get(id)!.pinnedSlot;
            return pin === null ? [] : [pin];
          });
          if (pins.length > 0) pinOf.set(item.familyId, Math.min(...pins));
        }
        const grid = { slots: input.sitting.slots, breakAfterSlot: input.sitting.breakAfterSlot };
        for (const item of agenda.items) {
          const pin = pinOf.get(item.familyId);
          if (pin === undefined) continue;
          if (!item.flags.includes('pin-conflict')) {
            expect(item.slot).toBe(pin);
            continue;
          }
          // A released pin must really have been impossible: out of the sitting, across the break, or
          // overlapping an item that kept its own pin.
          const kept = agenda.items.filter(
            (o) => o !== item && pinOf.get(o.familyId) === o.slot && !o.flags.includes('pin-conflict'),
          );
          const blocked = kept.some((o) => o.slot < pin + item.slotsUsed && pin < o.slot + o.slotsUsed);
          expect(!slotRangeValid(grid, pin, item.slotsUsed) || blocked).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('never schedules a less pressing item where a more pressing no-slot item could have gone', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const agenda = buildAgenda(input);
        const { slots, breakAfterSlot } = input.sitting;
        const byId = new Map(input.requests.map((r) => [r.id, r]));
        const priorityOf = (ids: string[]): AgendaPriority =>
          familyPriority(ids.map((id) => requestPriority(byId.get(id)!, sittingStart)));
        const pinned = (requestIds: string[], slot: number) =>
          requestIds.some((id) => byId.get(id)!.pinnedSlot === slot);
        const noSlot = new Map<string, string[]>();
        for (const d of agenda.deferred.filter((d) => d.reason === 'no-slot')) {
          const family = byId.get(d.requestId)!.familyId;
          noSlot.set(family, [...(noSlot.get(family) ?? []), d.requestId]);
        }
        for (const ids of noSlot.values()) {
          const requests = ids.map((id) => byId.get(id)!);
          const children = requests.reduce((sum, r) => sum + r.children, 0);
          const size =
            requests.some((r) => r.complex) || children >= input.policy.childrenForComplex
              ? input.policy.complexSlots
              : 1;
          const deferredPriority = priorityOf(ids);
          // Cells it could use: free, or held by a less pressing item that is not pinned there.
          const usable = Array.from({ length: slots }, () => true);
          for (const item of agenda.items) {
            const lessPressing = compareAgendaPriority(priorityOf(item.requestIds), deferredPriority) > 0;
            if (lessPressing && !pinned(item.requestIds, item.slot)) continue;
            for (let c = item.slot; c < item.slot + item.slotsUsed; c++) usable[c] = false;
          }
          for (let start = 0; start + size <= slots; start++) {
            if (!slotRangeValid({ slots, breakAfterSlot }, start, size)) continue;
            expect(usable.slice(start, start + size).every(Boolean)).toBe(false);
          }
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('does not depend on the order the candidates come in', () => {
    fc.assert(
      fc.property(inputArb, fc.integer(), (input, seed) => {
        const shuffled = [...input.requests].sort(
          (a, b) => ((a.id.charCodeAt(2) * seed) % 7) - ((b.id.charCodeAt(2) * seed) % 7),
        );
        expect(buildAgenda({ ...input, requests: shuffled })).toEqual(buildAgenda(input));
      }),
      { numRuns: 300 },
    );
  });
});
