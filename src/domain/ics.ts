import { DateTime, IANAZone } from 'luxon';
import { AppError } from '../errors.ts';

/*
 * Pure iCalendar (RFC 5545) renderer: the sittings feed (`GET /hubs/:id/calendar.ics`) and the
 * per-item invites both come through here. No clock: the DTSTAMP is passed in.
 */

/** One event. `start`/`end` are ISO 8601 instants with an offset (any offset: they are re-zoned). */
export interface IcsEvent {
  /** Stable across renders (e.g. `sitting-42@hub.example`), so calendars update instead of duplicating. */
  uid: string;
  start: string;
  end: string;
  summary: string;
  description?: string;
  location?: string;
  /** Bump on every change of a sent invite (RFC 5546); defaults to 0. */
  sequence?: number;
  /** Organiser's email address (required by most clients for METHOD:REQUEST). */
  organizer?: string;
  /** Attendees' email addresses. */
  attendees?: string[];
}

export interface IcsCalendar {
  /** Calendar name shown by clients (NAME and X-WR-CALNAME). */
  name: string;
  /** IANA zone the events are written in (DTSTART;TZID=...), e.g. `Europe/London`. */
  timezone: string;
  /** PUBLISH for a subscribed feed (default), REQUEST for an invitation. */
  method?: 'PUBLISH' | 'REQUEST';
  events: IcsEvent[];
  /** ISO instant written as every event's DTSTAMP (the time the data was produced). */
  stamp: string;
}

const CRLF = '\r\n';

/**
 * Renders a VCALENDAR with one VTIMEZONE for `timezone` (its current STANDARD/DAYLIGHT rules) and
 * one VEVENT per event, with DTSTART/DTEND as local wall time in that zone. Lines end in CRLF and
 * are folded at 75 octets; text values are escaped. Same input, same output, byte for byte.
 * Throws AppError('invalid-input') for an unknown zone or an unparseable instant.
 */
export function renderIcs(calendar: IcsCalendar): string {
  if (!IANAZone.isValidZone(calendar.timezone)) {
    throw new AppError('invalid-input', `Unknown time zone "${calendar.timezone}"`, {
      issues: [{ field: 'timezone', message: 'must be an IANA time zone such as Europe/London' }],
    });
  }
  const stamp = parseInstant(calendar.stamp, 'stamp');
  const lines: string[] = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//allocation-hub//sittings//EN',
    'CALSCALE:GREGORIAN',
    `METHOD:${calendar.method ?? 'PUBLISH'}`,
    `NAME:${escapeText(calendar.name)}`,
    `X-WR-CALNAME:${escapeText(calendar.name)}`,
    `X-WR-TIMEZONE:${calendar.timezone}`,
    ...renderVtimezone(calendar.timezone, referenceYear(calendar)),
  ];
  calendar.events.forEach((event, index) => {
    const start = parseInstant(event.start, `events.${index}.start`);
    const end = parseInstant(event.end, `events.${index}.end`);
    lines.push(
      'BEGIN:VEVENT',
      `UID:${escapeText(event.uid)}`,
      `DTSTAMP:${utcStamp(stamp)}`,
      `DTSTART;TZID=${calendar.timezone}:${localStamp(start.setZone(calendar.timezone))}`,
      `DTEND;TZID=${calendar.timezone}:${localStamp(end.setZone(calendar.timezone))}`,
      `SEQUENCE:${event.sequence ?? 0}`,
      `SUMMARY:${escapeText(event.summary)}`,
    );
    if (event.description !== undefined) lines.push(`DESCRIPTION:${escapeText(event.description)}`);
    if (event.location !== undefined) lines.push(`LOCATION:${escapeText(event.location)}`);
    if (event.organizer !== undefined) lines.push(`ORGANIZER:mailto:${event.organizer}`);
    for (const attendee of event.attendees ?? []) {
      lines.push(`ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;RSVP=TRUE:mailto:${attendee}`);
    }
    lines.push('STATUS:CONFIRMED', 'TRANSP:OPAQUE', 'END:VEVENT');
  });
  lines.push('END:VCALENDAR');
  return lines.map(foldLine).join(CRLF) + CRLF;
}

/** Escapes a TEXT value (RFC 5545 3.3.11): backslash, semicolon, comma and newlines. */
export function escapeText(value: string): string {
  return value
    .replace(/\\/g, '\\\\')
    .replace(/;/g, '\\;')
    .replace(/,/g, '\\,')
    .replace(/\r\n|\r|\n/g, '\\n');
}

/**
 * Folds one content line so no physical line exceeds 75 octets of UTF-8 (RFC 5545 3.1); the
 * continuation lines start with one space, which counts towards their 75. Never splits a character.
 */
export function foldLine(line: string): string {
  const encoder = new TextEncoder();
  if (encoder.encode(line).length <= 75) return line;
  const parts: string[] = [];
  let current = '';
  let octets = 0;
  let limit = 75;
  for (const char of line) {
    const size = encoder.encode(char).length;
    if (octets + size > limit) {
      parts.push(current);
      current = '';
      octets = 0;
      limit = 74; // the leading space of a continuation line takes one octet
    }
    current += char;
    octets += size;
  }
  parts.push(current);
  return parts.join(`${CRLF} `);
}

function parseInstant(value: string, field: string): DateTime {
  const refuse = () =>
    new AppError('invalid-input', `${field} must be an ISO 8601 instant with an offset, got "${value}"`, {
      issues: [{ field, message: 'must be an ISO 8601 instant with an offset' }],
    });
  // Require an explicit offset or Z: a floating time would silently take the server's zone.
  if (!/^\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}(:?\d{2})?)$/.test(value)) throw refuse();
  let parsed: DateTime;
  try {
    parsed = DateTime.fromISO(value, { setZone: true });
  } catch {
    throw refuse(); // luxon throws instead of returning invalid when Settings.throwOnInvalid is on
  }
  if (!parsed.isValid) throw refuse();
  return parsed;
}

function utcStamp(instant: DateTime): string {
  return instant.toUTC().toFormat("yyyyMMdd'T'HHmmss'Z'");
}

function localStamp(local: DateTime): string {
  return local.toFormat("yyyyMMdd'T'HHmmss");
}

function formatOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}${String(abs % 60).padStart(2, '0')}`;
}

/** The year whose rules the VTIMEZONE describes: the first event's year, else the stamp's. */
function referenceYear(calendar: IcsCalendar): number {
  const first = calendar.events[0]?.start ?? calendar.stamp;
  return /^\d{4}-/.test(first) ? Number(first.slice(0, 4)) : 2000;
}

interface Transition {
  /** Local wall time just before the change, in the old offset (VTIMEZONE DTSTART convention). */
  local: DateTime;
  from: number;
  to: number;
}

/** Offset changes of `zone` during `year`, found by day steps then a minute bisection. */
function transitionsIn(zone: string, year: number): Transition[] {
  const result: Transition[] = [];
  let day = DateTime.fromObject({ year, month: 1, day: 1 }, { zone: 'UTC' });
  const end = day.plus({ years: 1 });
  let previous = day.setZone(zone).offset;
  while (day < end) {
    const next = day.plus({ days: 1 });
    const offset = next.setZone(zone).offset;
    if (offset !== previous) {
      let lo = day.toMillis();
      let hi = next.toMillis();
      while (hi - lo > 60_000) {
        const mid = lo + Math.floor((hi - lo) / 120_000) * 60_000;
        if (DateTime.fromMillis(mid, { zone }).offset === previous) lo = mid;
        else hi = mid;
      }
      const at = DateTime.fromMillis(hi, { zone: 'UTC' });
      result.push({ local: at.plus({ minutes: previous }), from: previous, to: offset });
      previous = offset;
    }
    day = next;
  }
  return result;
}

const WEEKDAYS = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'] as const;

const vtimezoneCache = new Map<string, string[]>();

/**
 * VTIMEZONE with STANDARD and DAYLIGHT components whose yearly RRULEs are derived from the zone's
 * transitions in `year` (e.g. Europe/London: last Sunday of March 01:00 GMT -> BST, last Sunday of
 * October 02:00 BST -> GMT). A zone without daylight saving gets one STANDARD component.
 */
function renderVtimezone(zone: string, year: number): string[] {
  const key = `${zone}|${year}`;
  const cached = vtimezoneCache.get(key);
  if (cached) return cached;
  const lines = ['BEGIN:VTIMEZONE', `TZID:${zone}`];
  const transitions = transitionsIn(zone, year);
  if (transitions.length !== 2) {
    const offset = DateTime.fromObject({ year, month: 1, day: 1 }, { zone }).offset;
    lines.push(
      'BEGIN:STANDARD',
      'DTSTART:19700101T000000',
      `TZOFFSETFROM:${formatOffset(offset)}`,
      `TZOFFSETTO:${formatOffset(offset)}`,
      `TZNAME:${escapeText(zoneName(zone, DateTime.fromObject({ year, month: 1, day: 1 }, { zone })))}`,
      'END:STANDARD',
    );
  } else {
    for (const t of transitions) {
      const kind = t.to > t.from ? 'DAYLIGHT' : 'STANDARD';
      const daysInMonth = t.local.daysInMonth ?? 31;
      const week = t.local.day > daysInMonth - 7 ? -1 : Math.ceil(t.local.day / 7);
      const weekday = WEEKDAYS[t.local.weekday - 1];
      // DTSTART must itself be an occurrence of the rule: the same nth weekday in 1970.
      const first = nthWeekday(1970, t.local.month, t.local.weekday, week).set({
        hour: t.local.hour,
        minute: t.local.minute,
      });
      const after = DateTime.fromMillis(t.local.minus({ minutes: t.from }).toMillis() + 60_000, { zone });
      lines.push(
        `BEGIN:${kind}`,
        `DTSTART:${localStamp(first)}`,
        `RRULE:FREQ=YEARLY;BYMONTH=${t.local.month};BYDAY=${week}${weekday}`,
        `TZOFFSETFROM:${formatOffset(t.from)}`,
        `TZOFFSETTO:${formatOffset(t.to)}`,
        `TZNAME:${escapeText(zoneName(zone, after))}`,
        `END:${kind}`,
      );
    }
  }
  lines.push('END:VTIMEZONE');
  vtimezoneCache.set(key, lines);
  return lines;
}

function zoneName(zone: string, at: DateTime): string {
  return at.setZone(zone).setLocale('en-GB').offsetNameShort ?? zone;
}

/** The `week`th (1..5, or -1 for last) `weekday` (1 = Monday) of a month, as a floating UTC date. */
function nthWeekday(year: number, month: number, weekday: number, week: number): DateTime {
  if (week === -1) {
    const last = DateTime.fromObject({ year, month, day: 1 }, { zone: 'UTC' }).endOf('month').startOf('day');
    return last.minus({ days: (last.weekday - weekday + 7) % 7 });
  }
  const first = DateTime.fromObject({ year, month, day: 1 }, { zone: 'UTC' });
  return first.plus({ days: ((weekday - first.weekday + 7) % 7) + (week - 1) * 7 });
}
