import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeText, foldLine, renderIcs } from '../../src/domain/ics.ts';

const sittingsFeed = {
  name: 'City Hub sittings',
  timezone: 'Europe/London',
  stamp: '2027-01-01T12:00:00Z',
  events: [
    {
      uid: 'sitting-1@allocation-hub',
      start: '2027-01-06T09:30:00+00:00',
      end: '2027-01-06T13:30:00+00:00',
      summary: 'City Hub sitting',
    },
    {
      uid: 'sitting-2@allocation-hub',
      start: '2027-07-07T08:30:00Z', // 09:30 BST
      end: '2027-07-07T13:30:00+01:00',
      summary: 'City Hub sitting',
      location: 'Room 2, Civic Centre',
    },
  ],
};

/** Content lines after unfolding (RFC 5545 3.1: CRLF followed by one space continues a line). */
const unfold = (ics: string) => ics.replace(/\r\n /g, '').split('\r\n').slice(0, -1);

describe('renderIcs', () => {
  const ics = renderIcs(sittingsFeed);
  const lines = unfold(ics);

  it('is a VCALENDAR with CRLF line endings only and a final CRLF', () => {
    expect(ics.startsWith('BEGIN:VCALENDAR\r\nVERSION:2.0\r\n')).toBe(true);
    expect(ics.endsWith('END:VCALENDAR\r\n')).toBe(true);
    expect(ics.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    expect(lines).toContain('METHOD:PUBLISH');
    expect(lines).toContain('X-WR-CALNAME:City Hub sittings');
  });

  it('has a VTIMEZONE for Europe/London with its BST and GMT rules', () => {
    const start = lines.indexOf('BEGIN:VTIMEZONE');
    const end = lines.indexOf('END:VTIMEZONE');
    expect(lines.slice(start, end + 1)).toEqual([
      'BEGIN:VTIMEZONE',
      'TZID:Europe/London',
      'BEGIN:DAYLIGHT',
      'DTSTART:19700329T010000',
      'RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU',
      'TZOFFSETFROM:+0000',
      'TZOFFSETTO:+0100',
      'TZNAME:BST',
      'END:DAYLIGHT',
      'BEGIN:STANDARD',
      'DTSTART:19701025T020000',
      'RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU',
      'TZOFFSETFROM:+0100',
      'TZOFFSETTO:+0000',
      'TZNAME:GMT',
      'END:STANDARD',
      'END:VTIMEZONE',
    ]);
  });

  it('writes each event as local wall time with TZID: 09:30 in January and in July', () => {
    expect(lines.filter((l) => l.startsWith('DTSTART;'))).toEqual([
      'DTSTART;TZID=Europe/London:20270106T093000',
      'DTSTART;TZID=Europe/London:20270707T093000',
    ]);
    expect(lines.filter((l) => l.startsWith('DTEND;'))).toEqual([
      'DTEND;TZID=Europe/London:20270106T133000',
      'DTEND;TZID=Europe/London:20270707T133000',
    ]);
    expect(lines.filter((l) => l.startsWith('DTSTAMP:'))).toEqual([
      'DTSTAMP:20270101T120000Z',
      'DTSTAMP:20270101T120000Z',
    ]);
    expect(lines.filter((l) => l === 'BEGIN:VEVENT')).toHaveLength(2);
    expect(lines).toContain('LOCATION:Room 2\\, Civic Centre');
  });

  it('is stable: the same input renders byte for byte the same, UIDs as given', () => {
    expect(renderIcs(structuredClone(sittingsFeed))).toBe(ics);
    expect(lines.filter((l) => l.startsWith('UID:'))).toEqual([
      'UID:sitting-1@allocation-hub',
      'UID:sitting-2@allocation-hub',
    ]);
  });

  it('renders an invitation (METHOD:REQUEST) with organiser, attendees and sequence', () => {
    const invite = unfold(
      renderIcs({
        name: 'City Hub',
        timezone: 'Europe/London',
        method: 'REQUEST',
        stamp: '2027-01-02T09:00:00Z',
        events: [
          {
            ...sittingsFeed.events[0]!,
            uid: 'agenda-item-7@allocation-hub',
            sequence: 2,
            organizer: 'chair@council.example',
            attendees: ['dsl@school.example', 'team@agency.example'],
          },
        ],
      }),
    );
    expect(invite).toContain('METHOD:REQUEST');
    expect(invite).toContain('SEQUENCE:2');
    expect(invite).toContain('ORGANIZER:mailto:chair@council.example');
    expect(invite.filter((l) => l.startsWith('ATTENDEE'))).toEqual([
      'ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;RSVP=TRUE:mailto:dsl@school.example',
      'ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;RSVP=TRUE:mailto:team@agency.example',
    ]);
  });

  it('gives one STANDARD component for a zone without daylight saving', () => {
    const utc = unfold(renderIcs({ ...sittingsFeed, timezone: 'UTC' }));
    expect(utc).toContain('TZOFFSETTO:+0000');
    expect(utc).not.toContain('BEGIN:DAYLIGHT');
    expect(utc).toContain('DTSTART;TZID=UTC:20270707T083000');
  });

  it('refuses an unknown zone and an instant without offset, naming the field', () => {
    expect(() => renderIcs({ ...sittingsFeed, timezone: 'Europe/Londn' })).toThrow(
      expect.objectContaining({ issues: [expect.objectContaining({ field: 'timezone' })] }),
    );
    const floating = { ...sittingsFeed.events[0]!, start: '2027-01-06T09:30:00' };
    expect(() => renderIcs({ ...sittingsFeed, events: [floating] })).toThrow(
      expect.objectContaining({ issues: [expect.objectContaining({ field: 'events.0.start' })] }),
    );
  });
});

describe('text escaping and line folding', () => {
  it('escapes backslash, semicolon, comma and newlines', () => {
    expect(escapeText('a\\b;c,d\ne\r\nf')).toBe('a\\\\b\\;c\\,d\\ne\\nf');
  });

  it('folds a long description at 75 octets and unfolds back to it', () => {
    const description = 'Requests: EH-2027-0001, EH-2027-0002; '.repeat(6);
    const ics = renderIcs({ ...sittingsFeed, events: [{ ...sittingsFeed.events[0]!, description }] });
    for (const line of ics.split('\r\n')) expect(Buffer.byteLength(line, 'utf8')).toBeLessThanOrEqual(75);
    expect(unfold(ics)).toContain(`DESCRIPTION:${escapeText(description)}`);
  });

  it('property: folded lines are at most 75 octets, never split a character, and unfold to the input', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), (text) => {
        const line = `DESCRIPTION:${escapeText(text)}`;
        const folded = foldLine(line);
        const physical = folded.split('\r\n');
        for (const part of physical) {
          expect(Buffer.byteLength(part, 'utf8')).toBeLessThanOrEqual(75);
          // A split surrogate pair or UTF-8 sequence would not survive the round trip.
          expect(Buffer.from(part, 'utf8').toString('utf8')).toBe(part);
          expect(part).not.toMatch(/[\uD800-\uDBFF]$|^ ?[\uDC00-\uDFFF]/);
        }
        expect(physical.slice(1).every((p) => p.startsWith(' '))).toBe(true);
        expect(folded.replace(/\r\n /g, '')).toBe(line);
      }),
    );
  });
});
