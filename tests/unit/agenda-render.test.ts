import { describe, expect, it } from 'vitest';
import {
  type AgendaView,
  type AgendaViewRequest,
  agendaRows,
  renderAgendaCsv,
  renderAgendaHtml,
  renderAgendaInvites,
} from '../../src/agenda/agenda.render.ts';

const req = (reference: string, over: Partial<AgendaViewRequest> = {}): AgendaViewRequest => ({
  reference,
  kind: 'new',
  urgency: 'normal',
  familyReference: 'FAM-1',
  schoolName: 'Ashfield Primary School',
  schoolUrn: 100001,
  schoolEmails: ['dsl@ashfield.example'],
  attendanceWindow: null,
  ...over,
});

/** Four 30-minute slots from 09:30 GMT with a 15-minute break after the second. */
const view: AgendaView = {
  sittingId: 3,
  hubName: 'North Hub',
  timezone: 'Europe/London',
  date: '2027-01-13',
  status: 'planned',
  publishedAt: null,
  builtAt: null,
  slotMinutes: 30,
  breakAfterSlot: 2,
  breakMinutes: 15,
  slots: [
    { slot: 0, startsAt: '2027-01-13T09:30:00+00:00', endsAt: '2027-01-13T10:00:00+00:00' },
    { slot: 1, startsAt: '2027-01-13T10:00:00+00:00', endsAt: '2027-01-13T10:30:00+00:00' },
    { slot: 2, startsAt: '2027-01-13T10:45:00+00:00', endsAt: '2027-01-13T11:15:00+00:00' },
    { slot: 3, startsAt: '2027-01-13T11:15:00+00:00', endsAt: '2027-01-13T11:45:00+00:00' },
  ],
  items: [
    {
      id: 11,
      slot: 0,
      slotsUsed: 2,
      startsAt: '2027-01-13T09:30:00+00:00',
      endsAt: '2027-01-13T10:30:00+00:00',
      familyReference: 'FAM-1',
      pinned: true,
      movedByChair: false,
      flags: ['proforma-missing'],
      requests: [
        req('EH-2'),
        req('EH-1', {
          urgency: 'high',
          schoolName: 'St Mary\'s "Upper", Juniors',
          schoolUrn: 100002,
          schoolEmails: ['a@stmarys.example', 'b@stmarys.example'],
        }),
      ],
    },
    {
      id: 12,
      slot: 3,
      slotsUsed: 1,
      startsAt: '2027-01-13T11:15:00+00:00',
      endsAt: '2027-01-13T11:45:00+00:00',
      familyReference: 'FAM-2',
      pinned: false,
      movedByChair: false,
      flags: [],
      requests: [req('EH-3', { familyReference: 'FAM-2', schoolName: '=HYPERLINK("x")' })],
    },
  ],
  deferred: [
    {
      ...req('EH-4', { familyReference: 'FAM-4' }),
      reason: 'chair-deferred',
      note: 'Child named Amelia unwell',
    },
  ],
};

describe('agenda renderings', () => {
  it('lays out items, free slots and the break in time order', () => {
    expect(agendaRows(view).map((r) => [r.kind, r.times])).toEqual([
      ['item', '09:30–10:30'],
      ['break', '10:30–10:45'],
      ['free', '10:45–11:15'],
      ['item', '11:15–11:45'],
    ]);
  });

  it('prints local times, references, schools and flags, and leaves the chair note out', () => {
    const html = renderAgendaHtml(view, new Date('2027-01-06T12:00:00Z'));
    expect(html).toContain('Wednesday 13 January 2027');
    expect(html).toContain('09:30 to 11:45');
    expect(html).toContain('Proforma missing');
    expect(html).toContain('St Mary&#39;s &quot;Upper&quot;, Juniors');
    expect(html).toContain('Deferred by the chair');
    expect(html).not.toContain('Amelia');
    // The more urgent request is listed first within its family.
    expect(html.indexOf('EH-1')).toBeLessThan(html.indexOf('EH-2'));
  });

  it('quotes CSV cells properly and defuses spreadsheet formulas', () => {
    const lines = renderAgendaCsv(view).split('\r\n');
    expect(lines[1]).toBe(
      'scheduled,0,2,2027-01-13T09:30:00+00:00,2027-01-13T10:30:00+00:00,FAM-1,EH-1,new,high,100002,"St Mary\'s ""Upper"", Juniors",proforma-missing,',
    );
    expect(lines[3]).toContain(`,"'=HYPERLINK(""x"")",`);
    expect(lines[4]).toBe(
      'deferred,,,,,FAM-4,EH-4,new,normal,100001,Ashfield Primary School,,chair-deferred',
    );
    expect(lines.at(-1)).toBe('');
  });

  it('sends each school an invite naming only its own requests', () => {
    const invites = renderAgendaInvites(view, {
      stamp: '2027-01-06T12:00:00Z',
      organizer: 'hub@council.example',
    });
    expect(invites.map((i) => [i.itemId, i.schoolUrn, i.to])).toEqual([
      [11, 100001, ['dsl@ashfield.example']],
      [11, 100002, ['a@stmarys.example', 'b@stmarys.example']],
      [12, 100001, ['dsl@ashfield.example']],
    ]);
    const ashfield = invites[0]!.ics;
    expect(ashfield).toContain('SUMMARY:North Hub: EH-2');
    expect(ashfield).not.toContain('EH-1');
    expect(ashfield).toContain('DTSTART;TZID=Europe/London:20270113T093000');
    expect(ashfield).toContain('UID:agenda-3-FAM-1-100001@allocation-hub');
  });
});
