/*
 * The slot board the agenda builder places items on, and the one rule about slots the chair's edits
 * share with it: an item lies inside the sitting and never runs across the break. Pure.
 */

/** The slots of a sitting, with the break: what placement and the chair's edits must respect. */
export interface SlotGrid {
  slots: number;
  breakAfterSlot: number | null;
}

/** Whether an item of `size` slots may start at `slot`: inside the sitting and not across the break. */
export function slotRangeValid(grid: SlotGrid, slot: number, size: number): boolean {
  if (!Number.isInteger(slot) || slot < 0 || slot + size > grid.slots) return false;
  const k = grid.breakAfterSlot;
  return k === null || slot >= k || slot + size <= k;
}

/** What the board places: an item of `size` slots, at `slot` once placed. */
export interface Placeable {
  size: number;
  slot: number | null;
}

/** The sitting's slots while placing: which family holds each slot. */
export class Board<T extends Placeable> {
  private readonly cells: Array<T | null>;

  constructor(
    private readonly grid: SlotGrid,
    private readonly complexSlots: number,
  ) {
    this.cells = Array.from({ length: grid.slots }, () => null);
  }

  fits(slot: number, size: number): boolean {
    if (!slotRangeValid(this.grid, slot, size)) return false;
    for (let c = slot; c < slot + size; c++) if (this.cells[c] !== null) return false;
    return true;
  }

  occupy(family: T, slot: number): void {
    for (let c = slot; c < slot + family.size; c++) this.cells[c] = family;
    family.slot = slot;
  }

  /** Whether `family` can start at `slot` and every item of `rest` still fit afterwards. */
  canPlace(family: T, slot: number, rest: T[]): boolean {
    if (!this.fits(slot, family.size)) return false;
    for (let c = slot; c < slot + family.size; c++) this.cells[c] = family;
    const ok = this.feasible(rest);
    for (let c = slot; c < slot + family.size; c++) this.cells[c] = null;
    return ok;
  }

  feasibleWith(admitted: T[], family: T): boolean {
    admitted.push(family);
    const ok = this.feasible(admitted);
    admitted.pop();
    return ok;
  }

  /**
   * Whether `items` (sizes 1 and `complexSlots` only) can all be placed in the free slots. Exact:
   * at most sum(floor(run / c)) big items fit in the free runs, and once they are in, single slots
   * fit anywhere that is left.
   */
  private feasible(items: T[]): boolean {
    const c = this.complexSlots;
    let big = 0;
    let total = 0;
    for (const item of items) {
      total += item.size;
      if (item.size > 1) big++;
    }
    let free = 0;
    let bigRoom = 0;
    let run = 0;
    for (let cell = 0; cell <= this.grid.slots; cell++) {
      const boundary = cell === this.grid.slots || cell === this.grid.breakAfterSlot;
      if (boundary || this.cells[cell] !== null) {
        free += run;
        bigRoom += c > 1 ? Math.floor(run / c) : run;
        run = 0;
      }
      if (cell < this.grid.slots && this.cells[cell] === null) run++;
    }
    return total <= free && big <= bigRoom;
  }
}
