import {
  type AgendaFlag,
  type AgendaItem,
  type DeferralReason,
  type SlotGrid,
  slotRangeValid,
} from './agenda.ts';

/*
 * The chair's edits on a stored agenda: pure functions from one agenda to the next. Each returns the
 * new agenda and a description of the change (for the audit log), or a rejection saying why. A
 * published agenda is frozen: every edit is rejected.
 */

export interface StoredAgendaItem {
  /** The stored item's id (the database id as text). */
  id: string;
  slot: number;
  slotsUsed: number;
  familyId: string;
  requestIds: string[];
  flags: AgendaFlag[];
  /** Pinned by the chair: a rebuild keeps it in its slot. */
  pinned: boolean;
  /** Moved by the chair: a rebuild keeps it in its slot too, but it is not shown as pinned. */
  movedByChair: boolean;
}

export interface StoredDeferral {
  requestId: string;
  reason: DeferralReason;
  /** Required for `chair-deferred`. */
  note: string | null;
}

export interface StoredAgenda extends SlotGrid {
  status: 'draft' | 'published';
  /** ISO instant; null while a draft. */
  publishedAt: string | null;
  items: StoredAgendaItem[];
  deferred: StoredDeferral[];
}

export type AgendaEditChange =
  | { action: 'moved'; itemId: string; from: number; to: number }
  | { action: 'swapped'; moves: Array<{ itemId: string; from: number; to: number }> }
  | { action: 'deferred'; itemId: string; slot: number; requestIds: string[]; note: string }
  | { action: 'pinned'; itemId: string; slot: number }
  | { action: 'unpinned'; itemId: string; slot: number }
  | { action: 'published'; at: string };

export type AgendaEditRejection =
  | 'published-frozen'
  | 'not-found'
  | 'out-of-range'
  | 'straddles-break'
  | 'slot-taken'
  | 'no-change'
  | 'note-required';

export type AgendaEditResult =
  | { kind: 'ok'; agenda: StoredAgenda; change: AgendaEditChange }
  | { kind: 'rejected'; reason: AgendaEditRejection; message: string };

const reject = (reason: AgendaEditRejection, message: string): AgendaEditResult => ({
  kind: 'rejected',
  reason,
  message,
});

/** Why `item` cannot start at `slot` among `others`, or null when it can. */
function slotProblem(
  agenda: StoredAgenda,
  item: StoredAgendaItem,
  slot: number,
  others: StoredAgendaItem[],
): AgendaEditResult | null {
  if (!Number.isInteger(slot) || slot < 0 || slot + item.slotsUsed > agenda.slots) {
    return reject(
      'out-of-range',
      `Slot ${slot} is outside the sitting: an item of ${item.slotsUsed} slot(s) can start at 0 to ${agenda.slots - item.slotsUsed}.`,
    );
  }
  if (!slotRangeValid(agenda, slot, item.slotsUsed)) {
    return reject(
      'straddles-break',
      `An item of ${item.slotsUsed} slots starting at ${slot} would run across the break.`,
    );
  }
  const clash = others.find((o) => o.slot < slot + item.slotsUsed && slot < o.slot + o.slotsUsed);
  if (clash)
    return reject(
      'slot-taken',
      `Slot ${slot} is taken by family ${clash.familyId}; move or swap that item first.`,
    );
  return null;
}

function editable(agenda: StoredAgenda, itemId: string): StoredAgendaItem | AgendaEditResult {
  if (agenda.status === 'published') {
    return reject('published-frozen', 'The agenda is published and frozen; it cannot be edited.');
  }
  return (
    agenda.items.find((i) => i.id === itemId) ??
    reject('not-found', `No agenda item ${itemId} on this agenda.`)
  );
}

const isItem = (value: StoredAgendaItem | AgendaEditResult): value is StoredAgendaItem => 'familyId' in value;

function withItems(agenda: StoredAgenda, items: StoredAgendaItem[]): StoredAgenda {
  return { ...agenda, items: [...items].sort((a, b) => a.slot - b.slot) };
}

/** Moves an item to a free slot (from 0). The item keeps its slot on rebuilds (`movedByChair`). */
export function moveItem(agenda: StoredAgenda, itemId: string, toSlot: number): AgendaEditResult {
  const item = editable(agenda, itemId);
  if (!isItem(item)) return item;
  if (item.slot === toSlot) return reject('no-change', `The item already starts at slot ${toSlot}.`);
  const others = agenda.items.filter((i) => i !== item);
  const problem = slotProblem(agenda, item, toSlot, others);
  if (problem) return problem;
  return {
    kind: 'ok',
    agenda: withItems(agenda, [...others, { ...item, slot: toSlot, movedByChair: true }]),
    change: { action: 'moved', itemId, from: item.slot, to: toSlot },
  };
}

/**
 * Swaps two items. Adjacent items exchange their order within the block they cover together (so a
 * 2-slot item and a 1-slot item can trade places); otherwise they exchange start slots, which must
 * then fit (inside the sitting, not across the break, not over a third item).
 */
export function swapItems(agenda: StoredAgenda, itemIdA: string, itemIdB: string): AgendaEditResult {
  const a = editable(agenda, itemIdA);
  if (!isItem(a)) return a;
  const b = editable(agenda, itemIdB);
  if (!isItem(b)) return b;
  if (a === b) return reject('no-change', 'An item cannot be swapped with itself.');
  const [first, second] = a.slot < b.slot ? [a, b] : [b, a];
  const adjacent = first.slot + first.slotsUsed === second.slot;
  const secondTo = first.slot;
  const firstTo = adjacent ? first.slot + second.slotsUsed : second.slot;
  const others = agenda.items.filter((i) => i !== a && i !== b);
  const movedSecond = { ...second, slot: secondTo, movedByChair: true };
  const problem =
    slotProblem(agenda, second, secondTo, others) ??
    slotProblem(agenda, first, firstTo, [...others, movedSecond]);
  if (problem) return problem;
  return {
    kind: 'ok',
    agenda: withItems(agenda, [...others, movedSecond, { ...first, slot: firstTo, movedByChair: true }]),
    change: {
      action: 'swapped',
      moves: [
        { itemId: first.id, from: first.slot, to: firstTo },
        { itemId: second.id, from: second.slot, to: secondTo },
      ],
    },
  };
}

/** Takes an item off the agenda: all its requests go to the next sitting as `chair-deferred` with the note. */
export function deferItem(agenda: StoredAgenda, itemId: string, note: string): AgendaEditResult {
  const item = editable(agenda, itemId);
  if (!isItem(item)) return item;
  const trimmed = note.trim();
  if (trimmed.length === 0)
    return reject('note-required', 'Say why the item is deferred (the note is required).');
  return {
    kind: 'ok',
    agenda: {
      ...withItems(
        agenda,
        agenda.items.filter((i) => i !== item),
      ),
      deferred: [
        ...agenda.deferred,
        ...item.requestIds.map((requestId) => ({
          requestId,
          reason: 'chair-deferred' as const,
          note: trimmed,
        })),
      ],
    },
    change: { action: 'deferred', itemId, slot: item.slot, requestIds: item.requestIds, note: trimmed },
  };
}

/** Pins an item to its current slot: rebuilds keep it there. */
export function pinItem(agenda: StoredAgenda, itemId: string): AgendaEditResult {
  return setPinned(agenda, itemId, true);
}

/** Unpins an item: the next rebuild may place it elsewhere. */
export function unpinItem(agenda: StoredAgenda, itemId: string): AgendaEditResult {
  return setPinned(agenda, itemId, false);
}

function setPinned(agenda: StoredAgenda, itemId: string, pinned: boolean): AgendaEditResult {
  const item = editable(agenda, itemId);
  if (!isItem(item)) return item;
  if (item.pinned === pinned) {
    return reject('no-change', `The item is already ${pinned ? 'pinned' : 'not pinned'}.`);
  }
  return {
    kind: 'ok',
    // Unpinning also forgets a manual move: the chair is handing the slot back to the builder.
    agenda: withItems(agenda, [
      ...agenda.items.filter((i) => i !== item),
      { ...item, pinned, movedByChair: pinned ? item.movedByChair : false },
    ]),
    change: { action: pinned ? 'pinned' : 'unpinned', itemId, slot: item.slot },
  };
}

/** Publishes the agenda at `at` (ISO instant). From then on it is frozen. */
export function publishAgenda(agenda: StoredAgenda, at: string): AgendaEditResult {
  if (agenda.status === 'published') return reject('published-frozen', 'The agenda is already published.');
  return {
    kind: 'ok',
    agenda: { ...agenda, status: 'published', publishedAt: at },
    change: { action: 'published', at },
  };
}

/** Where one request stands on an agenda. */
export type RequestPlacement =
  | { where: 'slot'; slot: number; familyId: string; flags: AgendaFlag[] }
  | { where: 'deferred'; reason: DeferralReason }
  | { where: 'absent' };

export interface AgendaDiffEntry {
  requestId: string;
  before: RequestPlacement;
  after: RequestPlacement;
}

/** An agenda as the diff sees it: a built one, or a stored one (whose deferrals carry notes). */
export interface ComparableAgenda {
  items: Array<Pick<AgendaItem, 'slot' | 'familyId' | 'requestIds' | 'flags'>>;
  deferred: Array<{ requestId: string; reason: DeferralReason }>;
}

/**
 * What changed between the published agenda and a rebuild of it: one entry per request whose slot,
 * deferral reason or flags differ (a request new to the sitting shows `before: absent`, one no longer a
 * candidate `after: absent`). Ordered by request id. Empty when nothing changed.
 */
export function diffAgendas(published: ComparableAgenda, rebuilt: ComparableAgenda): AgendaDiffEntry[] {
  const before = placements(published);
  const after = placements(rebuilt);
  const ids = [...new Set([...before.keys(), ...after.keys()])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const entries: AgendaDiffEntry[] = [];
  for (const requestId of ids) {
    const b = before.get(requestId) ?? { where: 'absent' };
    const a = after.get(requestId) ?? { where: 'absent' };
    if (JSON.stringify(b) !== JSON.stringify(a)) entries.push({ requestId, before: b, after: a });
  }
  return entries;
}

function placements(agenda: ComparableAgenda): Map<string, RequestPlacement> {
  const map = new Map<string, RequestPlacement>();
  for (const item of agenda.items) {
    const flags = [...item.flags].sort();
    for (const id of item.requestIds) {
      map.set(id, { where: 'slot', slot: item.slot, familyId: item.familyId, flags });
    }
  }
  for (const d of agenda.deferred) map.set(d.requestId, { where: 'deferred', reason: d.reason });
  return map;
}
