import type { AgendaCandidate, AgendaInput, buildAgenda } from '../../src/domain/agenda.ts';

/*
 * Agenda input for the unit tests of buildAgenda, parseAgendaInput and `hub agenda --input`: ready
 * requests and a sitting of eight 30-minute slots from 09:30 BST on Wednesday 31 March 2027, policy
 * defer.
 */

/** A ready request: consent, proforma in, one child, no window, no pin. */
export function request(id: string, over: Partial<AgendaCandidate> = {}): AgendaCandidate {
  return {
    id,
    familyId: `F-${id}`,
    schoolId: 'S1',
    kind: 'new',
    urgency: 'normal',
    receivedAt: '2027-03-01T10:00:00Z',
    consent: true,
    proformaSubmitted: true,
    children: 1,
    complex: false,
    timesCarriedOver: 0,
    reviewDueAt: null,
    attendanceWindow: null,
    pinnedSlot: null,
    ...over,
  };
}

export function input(
  requests: AgendaCandidate[],
  over: Partial<AgendaInput['sitting']> = {},
  policy = {},
): AgendaInput {
  return {
    sitting: {
      startsAt: '2027-03-31T09:30:00+01:00',
      slotMinutes: 30,
      slots: 8,
      breakAfterSlot: null,
      breakMinutes: 0,
      ...over,
    },
    policy: { missingProforma: 'defer', complexSlots: 2, childrenForComplex: 3, ...policy },
    requests,
  };
}

export const order = (agenda: ReturnType<typeof buildAgenda>) => agenda.items.flatMap((i) => i.requestIds);
export const reasons = (agenda: ReturnType<typeof buildAgenda>) =>
  Object.fromEntries(agenda.deferred.map((d) => [d.requestId, d.reason]));
