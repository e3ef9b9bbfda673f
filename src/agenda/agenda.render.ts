import { DateTime } from 'luxon';
import type { AgendaFlag, DeferralReason, RequestKind, Urgency } from '../domain/agenda.ts';
import { renderIcs } from '../domain/ics.ts';
import { rememberStrings } from '../render/remembered.ts';
import { render } from '../render/templates.ts';

/*
 * Renderings of a stored agenda: printable HTML (A4), CSV, and one iCalendar invite per item for each
 * school taking part. They show references, schools, times and flags only: the view carries no child
 * names, dates of birth or addresses, and the chair's free-text deferral note is left out of print.
 */

export interface AgendaViewRequest {
  reference: string;
  kind: RequestKind;
  urgency: Urgency;
  familyReference: string;
  schoolName: string | null;
  schoolUrn: number | null;
  /** The school's safeguarding leads: invite attendees. */
  schoolEmails: string[];
  /** Local `HH:mm` times the school can attend. */
  attendanceWindow: { from: string; to: string } | null;
}

export interface AgendaView {
  sittingId: number;
  hubName: string;
  timezone: string;
  /** `YYYY-MM-DD`, the sitting's local date. */
  date: string;
  status: string;
  publishedAt: string | null;
  builtAt: string | null;
  slotMinutes: number;
  /** Counts from 1: the break follows this slot. */
  breakAfterSlot: number | null;
  breakMinutes: number;
  /** Every slot with its local start and end (ISO with offset). */
  slots: Array<{ slot: number; startsAt: string; endsAt: string }>;
  items: Array<{
    id: number;
    slot: number;
    slotsUsed: number;
    startsAt: string;
    endsAt: string;
    familyReference: string;
    pinned: boolean;
    movedByChair: boolean;
    flags: AgendaFlag[];
    requests: AgendaViewRequest[];
  }>;
  deferred: Array<AgendaViewRequest & { reason: DeferralReason; note: string | null }>;
}

export const flagLabels: Record<AgendaFlag, string> = {
  'proforma-missing': 'Proforma missing',
  'proforma-pending': 'Proforma awaited',
  'review-overdue': 'Review overdue',
  'carried-over': 'Carried over',
  'part-deferred': 'Part of family deferred',
  'outside-window': "Outside school's window",
  'pin-conflict': 'Pin released',
};

export const reasonLabels: Record<DeferralReason, string> = {
  'no-slot': 'No slot: to the next sitting',
  'consent-missing': 'Consent not recorded',
  'proforma-missing': 'Proforma not in by the deadline',
  'chair-deferred': 'Deferred by the chair',
};

/** Deferred requests are listed in this order: the chair's own decisions first, overflow last. */
const REASON_ORDER: DeferralReason[] = ['chair-deferred', 'consent-missing', 'proforma-missing', 'no-slot'];
const reasonShortLabels: Record<DeferralReason, string> = {
  'chair-deferred': 'Deferred by the chair',
  'consent-missing': 'Without consent',
  'proforma-missing': 'Without proforma',
  'no-slot': 'Without a slot',
};

const URGENCY_ORDER: Record<Urgency, number> = { high: 0, normal: 1, low: 2 };
const byUrgency = (a: AgendaViewRequest, b: AgendaViewRequest) =>
  URGENCY_ORDER[a.urgency] - URGENCY_ORDER[b.urgency] || (a.reference < b.reference ? -1 : 1);

const time = rememberStrings((iso: string, zone: string): string =>
  DateTime.fromISO(iso, { setZone: true }).setZone(zone).toFormat('HH:mm'),
);

function requestRow(r: AgendaViewRequest) {
  return {
    reference: r.reference,
    kind: r.kind === 'new' ? 'New request' : 'Review',
    urgency: r.urgency,
    school: r.schoolName ?? 'No school',
    urn: r.schoolUrn,
    window: r.attendanceWindow ? `attends ${r.attendanceWindow.from}–${r.attendanceWindow.to}` : null,
  };
}

/** The template's rows: one per item, free slot and the break, in time order. */
export function agendaRows(view: AgendaView) {
  const zone = view.timezone;
  const rows: Array<Record<string, unknown>> = [];
  let number = 0;
  for (let slot = 0; slot < view.slots.length; ) {
    const item = view.items.find((i) => i.slot === slot);
    const used = item?.slotsUsed ?? 1;
    const first = view.slots[slot]!;
    const last = view.slots[Math.min(slot + used, view.slots.length) - 1]!;
    const times = `${time(first.startsAt, zone)}–${time(last.endsAt, zone)}`;
    if (item) {
      number++;
      rows.push({
        kind: 'item',
        number,
        times,
        minutes: used * view.slotMinutes,
        family: item.familyReference,
        requests: [...item.requests].sort(byUrgency).map(requestRow),
        flags: item.flags.map((code) => ({ code, label: flagLabels[code] })),
        pinned: item.pinned,
      });
    } else rows.push({ kind: 'free', times });
    slot += used;
    if (view.breakAfterSlot !== null && slot === view.breakAfterSlot && view.breakMinutes > 0) {
      const breakStart = DateTime.fromISO(view.slots[slot - 1]!.endsAt, { setZone: true }).setZone(zone);
      rows.push({
        kind: 'break',
        times: `${breakStart.toFormat('HH:mm')}–${breakStart.plus({ minutes: view.breakMinutes }).toFormat('HH:mm')}`,
        minutes: view.breakMinutes,
      });
    }
  }
  return rows;
}

/** Printable A4 HTML agenda (templates/agenda/agenda.html.njk). `now` stamps the footer. */
export function renderAgendaHtml(view: AgendaView, now: Date): string {
  const zone = view.timezone;
  const first = view.slots[0];
  const last = view.slots.at(-1);
  const day = DateTime.fromISO(view.date, { zone });
  const deferred = [...view.deferred].sort(
    (a, b) => REASON_ORDER.indexOf(a.reason) - REASON_ORDER.indexOf(b.reason) || byUrgency(a, b),
  );
  const deferredCounts = REASON_ORDER.flatMap((reason) => {
    const count = deferred.filter((d) => d.reason === reason).length;
    return count > 0 ? [{ label: reasonShortLabels[reason], count }] : [];
  });
  return render('agenda/agenda.html.njk', {
    hubName: view.hubName,
    title: `${view.hubName}: agenda for ${day.toFormat('cccc d LLLL yyyy')}`,
    dateLabel: day.toFormat('cccc d LLLL yyyy'),
    timesLabel: first && last ? `${time(first.startsAt, zone)} to ${time(last.endsAt, zone)}` : '',
    zoneLabel: `${zone.replace('_', ' ')} time (${day.set({ hour: 12 }).setLocale('en-GB').offsetNameShort ?? ''})`,
    slotsLabel: `${view.slots.length} slots of ${view.slotMinutes} minutes`,
    statusLabel:
      view.status === 'published' && view.publishedAt
        ? `Published ${DateTime.fromISO(view.publishedAt).setZone(zone).toFormat('d LLL yyyy, HH:mm')}`
        : view.status === 'published'
          ? 'Published'
          : view.status === 'planned'
            ? 'Draft: not yet published'
            : view.status.charAt(0).toUpperCase() + view.status.slice(1),
    draft: view.status === 'planned',
    rows: agendaRows(view),
    itemCount: view.items.length,
    requestCount: view.items.reduce((n, i) => n + i.requests.length, 0),
    deferredCounts,
    deferred: deferred.map((d) => ({
      ...requestRow(d),
      family: d.familyReference,
      reason: reasonLabels[d.reason],
    })),
    generatedLabel: DateTime.fromJSDate(now).setZone(zone).toFormat('d LLL yyyy, HH:mm'),
  });
}

/** CSV text: OWASP guard against formulas, RFC 4180 quoting, CRLF line ends. */
function csvCell(value: string | number | null): string {
  let text = value === null ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * CSV, one row per request: scheduled ones in slot order (slot from 0, local ISO times), then the
 * deferred with their reason code. The chair's free-text note is not included.
 */
export function renderAgendaCsv(view: AgendaView): string {
  const header = [
    'status',
    'slot',
    'slots_used',
    'starts_at',
    'ends_at',
    'family',
    'request',
    'kind',
    'urgency',
  ];
  const lines = [[...header, 'school_urn', 'school', 'flags', 'reason']];
  for (const item of view.items) {
    for (const r of [...item.requests].sort(byUrgency)) {
      lines.push([
        'scheduled',
        String(item.slot),
        String(item.slotsUsed),
        item.startsAt,
        item.endsAt,
        item.familyReference,
        r.reference,
        r.kind,
        r.urgency,
        r.schoolUrn === null ? '' : String(r.schoolUrn),
        r.schoolName ?? '',
        item.flags.join(' '),
        '',
      ]);
    }
  }
  for (const d of view.deferred) {
    const school = d.schoolUrn === null ? '' : String(d.schoolUrn);
    lines.push([
      'deferred',
      '',
      '',
      '',
      '',
      d.familyReference,
      d.reference,
      d.kind,
      d.urgency,
      school,
      d.schoolName ?? '',
      '',
      d.reason,
    ]);
  }
  return `${lines.map((line) => line.map(csvCell).join(',')).join('\r\n')}\r\n`;
}

export interface AgendaInvite {
  itemId: number;
  schoolUrn: number;
  schoolName: string;
  /** The school's safeguarding leads. */
  to: string[];
  filename: string;
  /** METHOD:REQUEST iCalendar text. */
  ics: string;
}

/** One invite to be sent: an item and a school with requests in it (see `inviteTargets`). */
export interface InviteTarget {
  itemId: number;
  schoolUrn: number;
  schoolName: string;
  item: AgendaView['items'][number];
  /** That school's requests in the item, in the item's order. */
  requests: AgendaViewRequest[];
}

/**
 * Who is invited to what, in invite order: per item (in the view's order), each school with a
 * request in it (in order of its first request). Cheap: no iCalendar is rendered.
 */
export function inviteTargets(view: AgendaView): InviteTarget[] {
  const targets: InviteTarget[] = [];
  for (const item of view.items) {
    const schools = new Map<number, AgendaViewRequest[]>();
    for (const r of item.requests) {
      if (r.schoolUrn !== null) schools.set(r.schoolUrn, [...(schools.get(r.schoolUrn) ?? []), r]);
    }
    for (const [urn, requests] of schools)
      targets.push({
        itemId: item.id,
        schoolUrn: urn,
        schoolName: requests[0]!.schoolName ?? '',
        item,
        requests,
      });
  }
  return targets;
}

/**
 * One invite per item for each school with a request in it, naming only that school's requests (a
 * school sees its own requests, not a sibling's at another school). The UID is stable per sitting,
 * family and school, so a re-sent invite (with a higher `sequence`) moves the event, not duplicates it.
 */
export function renderAgendaInvites(
  view: AgendaView,
  options: { stamp: string; organizer?: string; sequence?: number; uidDomain?: string },
): AgendaInvite[] {
  const zone = view.timezone;
  return inviteTargets(view).map(({ item, schoolUrn: urn, requests }) => {
    const refs = requests.map((r) => r.reference).sort();
    const day = DateTime.fromISO(item.startsAt, { setZone: true }).setZone(zone);
    const ics = renderIcs({
      name: `${view.hubName} agenda`,
      timezone: zone,
      method: 'REQUEST',
      stamp: options.stamp,
      events: [
        {
          uid: `agenda-${view.sittingId}-${item.familyReference}-${urn}@${options.uidDomain ?? 'allocation-hub'}`,
          start: item.startsAt,
          end: item.endsAt,
          summary: `${view.hubName}: ${refs.join(', ')}`,
          description: [
            `Early Help Assessment Partnership Allocations Hub: ${view.hubName}.`,
            `Request${refs.length > 1 ? 's' : ''}: ${refs.join(', ')} (${requests[0]!.schoolName ?? ''}).`,
            `Your slot: ${day.toFormat('cccc d LLLL yyyy')}, ${time(item.startsAt, zone)} to ${time(item.endsAt, zone)} (${zone} time).`,
            'If no one from the school can attend, please complete the proforma before the deadline using the link in your email.',
          ].join('\n'),
          sequence: options.sequence ?? 0,
          ...(options.organizer ? { organizer: options.organizer } : {}),
          attendees: requests[0]!.schoolEmails,
        },
      ],
    });
    return {
      itemId: item.id,
      schoolUrn: urn,
      schoolName: requests[0]!.schoolName ?? '',
      to: requests[0]!.schoolEmails,
      filename: `agenda-${view.date}-${item.familyReference}-${urn}.ics`,
      ics,
    };
  });
}
