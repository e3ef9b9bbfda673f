import { DateTime } from 'luxon';
import type { AgendaCandidate, Urgency } from './agenda.ts';

/*
 * The agenda's order of priority: which request, and which family item, is more pressing. Pure and
 * deterministic (no locale, no clock): the builder admits and places in this order, and defers the
 * less pressing when the sitting is full.
 */

const URGENCY_RANK: Record<Urgency, number> = { high: 0, normal: 1, low: 2 };

/** What orders requests and items. */
export interface AgendaPriority {
  urgency: Urgency;
  /** Carried over twice or more: first within its urgency band. */
  raised: boolean;
  overdueReview: boolean;
  /** Epoch milliseconds of the oldest request. */
  receivedAt: number;
  /** Smallest request id. */
  id: string;
}

/**
 * Deterministic order, most pressing first: urgency (high > normal > low); within a band, requests
 * carried over twice or more; then overdue reviews; then the longest wait (oldest `receivedAt`); then
 * the id by code unit. Negative when `a` comes first.
 */
export function compareAgendaPriority(a: AgendaPriority, b: AgendaPriority): number {
  return (
    URGENCY_RANK[a.urgency] - URGENCY_RANK[b.urgency] ||
    Number(b.raised) - Number(a.raised) ||
    Number(b.overdueReview) - Number(a.overdueReview) ||
    a.receivedAt - b.receivedAt ||
    compareIds(a.id, b.id)
  );
}

/** The priority of one request at a sitting starting at `sittingStart` (epoch ms). */
export function requestPriority(request: AgendaCandidate, sittingStart: number): AgendaPriority {
  return {
    urgency: request.urgency,
    raised: request.timesCarriedOver >= 2,
    overdueReview:
      request.kind === 'review' && request.reviewDueAt !== null && millis(request.reviewDueAt) < sittingStart,
    receivedAt: millis(request.receivedAt),
    id: request.id,
  };
}

/**
 * A family item's priority from its heard requests: the most urgent request sets the band; the item
 * is raised if any request is, has an overdue review if any request does, waits as long as its oldest
 * request, and is named by its smallest id. A family is heard once, so it takes its most pressing
 * request's place rather than an average.
 */
export function familyPriority(priorities: AgendaPriority[]): AgendaPriority {
  const [first, ...rest] = priorities;
  if (!first) throw new Error('familyPriority needs at least one request');
  return rest.reduce<AgendaPriority>(
    (acc, p) => ({
      urgency: URGENCY_RANK[p.urgency] < URGENCY_RANK[acc.urgency] ? p.urgency : acc.urgency,
      raised: acc.raised || p.raised,
      overdueReview: acc.overdueReview || p.overdueReview,
      receivedAt: Math.min(acc.receivedAt, p.receivedAt),
      id: compareIds(p.id, acc.id) < 0 ? p.id : acc.id,
    }),
    first,
  );
}

/** Code-unit order: the same in every locale. */
function compareIds(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

/** Epoch ms of an ISO instant with offset; Date.parse is ~100x faster than luxon for the common forms. */
export function millis(iso: string): number {
  // Only with an explicit offset: without one Date.parse would read the process's zone.
  const fast = /(Z|[+-]\d{2}:\d{2})$/.test(iso) ? Date.parse(iso) : Number.NaN;
  return Number.isNaN(fast) ? DateTime.fromISO(iso, { setZone: true }).toMillis() : fast;
}
