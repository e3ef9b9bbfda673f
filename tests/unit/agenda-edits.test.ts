import { describe, expect, it } from 'vitest';
import {
  type AgendaEditResult,
  deferItem,
  diffAgendas,
  moveItem,
  pinItem,
  publishAgenda,
  type StoredAgenda,
  type StoredAgendaItem,
  swapItems,
  unpinItem,
} from '../../src/domain/agenda-edits.ts';

function item(
  id: string,
  slot: number,
  slotsUsed = 1,
  over: Partial<StoredAgendaItem> = {},
): StoredAgendaItem {
  return {
    id,
    slot,
    slotsUsed,
    familyId: `F${id}`,
    requestIds: [`R${id}`],
    flags: [],
    pinned: false,
    movedByChair: false,
    ...over,
  };
}

/** Six slots, break after the fourth: items 1 (slot 0, 2 slots), 2 (slot 2), 3 (slot 4). */
const draft: StoredAgenda = {
  status: 'draft',
  publishedAt: null,
  slots: 6,
  breakAfterSlot: 4,
  items: [item('1', 0, 2), item('2', 2), item('3', 4)],
  deferred: [{ requestId: 'R9', reason: 'no-slot', note: null }],
};

function ok(result: AgendaEditResult) {
  if (result.kind !== 'ok') throw new Error(`expected ok, got ${result.reason}: ${result.message}`);
  return result;
}
const slots = (agenda: StoredAgenda) => agenda.items.map((i) => [i.id, i.slot]);
const rejected = (result: AgendaEditResult) => (result.kind === 'rejected' ? result.reason : 'ok');

describe('chair edits', () => {
  it('moves an item to a free slot and marks it moved by the chair', () => {
    const result = ok(moveItem(draft, '2', 3));
    expect(slots(result.agenda)).toEqual([
      ['1', 0],
      ['2', 3],
      ['3', 4],
    ]);
    expect(result.agenda.items[1]?.movedByChair).toBe(true);
    expect(result.change).toEqual({ action: 'moved', itemId: '2', from: 2, to: 3 });
    expect(draft.items[1]?.slot).toBe(2); // the input is not mutated
  });

  it('refuses a taken slot, a slot outside the sitting, a slot across the break, an unknown item', () => {
    expect(rejected(moveItem(draft, '2', 1))).toBe('slot-taken');
    expect(rejected(moveItem(draft, '3', 6))).toBe('out-of-range');
    expect(rejected(moveItem(draft, '3', -1))).toBe('out-of-range');
    expect(rejected(moveItem(draft, '1', 3))).toBe('straddles-break');
    expect(rejected(moveItem(draft, '42', 5))).toBe('not-found');
    expect(rejected(moveItem(draft, '2', 2))).toBe('no-change');
  });

  it('swaps adjacent items of different lengths by exchanging their order', () => {
    const result = ok(swapItems(draft, '1', '2'));
    expect(slots(result.agenda)).toEqual([
      ['2', 0],
      ['1', 1],
      ['3', 4],
    ]);
    expect(result.agenda.items.every((i) => i.id === '3' || i.movedByChair)).toBe(true);
  });

  it('swaps distant items by exchanging slots, and refuses a swap that would not fit', () => {
    expect(slots(ok(swapItems(draft, '2', '3')).agenda)).toEqual([
      ['1', 0],
      ['3', 2],
      ['2', 4],
    ]);
    const spaced = { ...draft, items: [item('1', 0, 2), item('2', 3), item('3', 5)] };
    expect(rejected(swapItems(spaced, '1', '3'))).toBe('out-of-range');
    expect(rejected(swapItems(spaced, '1', '2'))).toBe('straddles-break');
  });

  it('defers an item to the next sitting with the chair note, and requires the note', () => {
    const result = ok(deferItem(draft, '2', '  family asked to wait for the CAMHS letter '));
    expect(slots(result.agenda)).toEqual([
      ['1', 0],
      ['3', 4],
    ]);
    expect(result.agenda.deferred).toContainEqual({
      requestId: 'R2',
      reason: 'chair-deferred',
      note: 'family asked to wait for the CAMHS letter',
    });
    expect(rejected(deferItem(draft, '2', '   '))).toBe('note-required');
  });

  it('pins and unpins; unpinning also forgets a manual move', () => {
    const pinned = ok(pinItem(ok(moveItem(draft, '3', 5)).agenda, '3'));
    expect(pinned.agenda.items.find((i) => i.id === '3')).toMatchObject({
      pinned: true,
      movedByChair: true,
      slot: 5,
    });
    expect(rejected(pinItem(pinned.agenda, '3'))).toBe('no-change');
    const unpinned = ok(unpinItem(pinned.agenda, '3'));
    expect(unpinned.agenda.items.find((i) => i.id === '3')).toMatchObject({
      pinned: false,
      movedByChair: false,
    });
    expect(unpinned.change).toEqual({ action: 'unpinned', itemId: '3', slot: 5 });
  });

  it('freezes a published agenda: every edit is refused', () => {
    const published = ok(publishAgenda(draft, '2027-03-24T12:00:00.000Z')).agenda;
    expect(published).toMatchObject({ status: 'published', publishedAt: '2027-03-24T12:00:00.000Z' });
    expect(rejected(moveItem(published, '2', 3))).toBe('published-frozen');
    expect(rejected(swapItems(published, '1', '2'))).toBe('published-frozen');
    expect(rejected(deferItem(published, '2', 'why'))).toBe('published-frozen');
    expect(rejected(pinItem(published, '2'))).toBe('published-frozen');
    expect(rejected(unpinItem(published, '2'))).toBe('published-frozen');
    expect(rejected(publishAgenda(published, '2027-03-25T12:00:00.000Z'))).toBe('published-frozen');
  });
});

describe('diffAgendas', () => {
  const published = {
    items: [
      { slot: 0, familyId: 'F1', requestIds: ['R1'], flags: [] },
      { slot: 1, familyId: 'F2', requestIds: ['R2'], flags: ['proforma-pending' as const] },
    ],
    deferred: [{ requestId: 'R3', reason: 'no-slot' as const }],
  };

  it('is empty when nothing changed', () => {
    expect(diffAgendas(published, structuredClone(published))).toEqual([]);
  });

  it('names each request whose slot, deferral or flags changed', () => {
    const rebuilt = {
      items: [
        { slot: 0, familyId: 'F1', requestIds: ['R1'], flags: [] },
        { slot: 2, familyId: 'F4', requestIds: ['R4'], flags: [] },
      ],
      deferred: [
        { requestId: 'R2', reason: 'proforma-missing' as const },
        { requestId: 'R3', reason: 'no-slot' as const },
      ],
    };
    expect(diffAgendas(published, rebuilt)).toEqual([
      {
        requestId: 'R2',
        before: { where: 'slot', slot: 1, familyId: 'F2', flags: ['proforma-pending'] },
        after: { where: 'deferred', reason: 'proforma-missing' },
      },
      {
        requestId: 'R4',
        before: { where: 'absent' },
        after: { where: 'slot', slot: 2, familyId: 'F4', flags: [] },
      },
    ]);
  });
});
