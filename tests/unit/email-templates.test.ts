import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type EmailParamsInput,
  type EmailTemplateName,
  emailTemplates,
  parseEmailParams,
  renderEmail,
} from '../../src/email/templates.ts';

/*
 * The data around an email, as a service would hold it when it queues one: the request with its
 * children and parents (names, dates of birth, addresses). Only references, the school and hub,
 * instants and links may reach a template.
 */
const surrounding = {
  request: {
    reference: 'EH-2027-0042',
    referrerName: 'Ottoline Brackenbury',
    children: [
      { givenName: 'Zebedee', familyName: 'Quixley', dateOfBirth: '2016-05-04' },
      { givenName: 'Marigold', familyName: 'Quixley-Fennimore', dateOfBirth: '2019-11-23' },
    ],
    parents: [{ givenName: 'Perpetua', familyName: 'Quixley', address: '14 Wisteria Lane, Lowtown LT3 9QZ' }],
  },
  school: { name: 'Riverside Primary', urn: 123456 },
  hub: { name: 'North hub' },
  item: { startsAt: new Date('2027-03-31T08:30:00Z') },
  proforma: {
    deadlineAt: new Date('2027-03-29T16:00:00Z'),
    url: 'https://earlyhelp.example.gov.uk/proforma/Tk9x',
  },
};
const forbidden = [
  'Ottoline',
  'Brackenbury',
  'Zebedee',
  'Quixley',
  'Marigold',
  'Fennimore',
  'Perpetua',
  'Wisteria',
  'LT3 9QZ',
  '2016-05-04',
  '04/05/2016',
  '4 May 2016',
  '2019-11-23',
  '23 November 2019',
];

const ics = [
  'BEGIN:VCALENDAR',
  'VERSION:2.0',
  'PRODID:-//allocation-hub//test//EN',
  'METHOD:REQUEST',
  'BEGIN:VEVENT',
  'UID:sitting-7-slot-0@earlyhelp.example.gov.uk',
  'DTSTAMP:20270301T100000Z',
  'DTSTART:20270331T083000Z',
  'DTEND:20270331T090000Z',
  `SUMMARY:Early Help hub: request ${surrounding.request.reference}`,
  'END:VEVENT',
  'END:VCALENDAR',
  '',
].join('\r\n');

/** How each template's params are built from the surrounding data (one entry per template). */
const build: { [N in EmailTemplateName]: (d: typeof surrounding) => EmailParamsInput<N> } = {
  'proforma-request': (d) => ({
    requestReference: d.request.reference,
    schoolName: d.school.name,
    hubName: d.hub.name,
    itemStartsAt: d.item.startsAt,
    deadlineAt: d.proforma.deadlineAt,
    proformaUrl: d.proforma.url,
    invite: { ics },
  }),
  'proforma-reminder': (d) => ({
    requestReference: d.request.reference,
    schoolName: d.school.name,
    hubName: d.hub.name,
    itemStartsAt: d.item.startsAt,
    deadlineAt: d.proforma.deadlineAt,
    proformaUrl: d.proforma.url,
    reminderNumber: 2,
    workingDaysLeft: 1,
  }),
  'proforma-escalation': (d) => ({
    hubName: d.hub.name,
    sittingStartsAt: d.item.startsAt,
    deadlineAt: d.proforma.deadlineAt,
    missing: [
      { requestReference: d.request.reference, schoolName: d.school.name },
      { requestReference: 'EH-2027-0043', schoolName: 'Hill Top Academy' },
    ],
    agendaUrl: 'https://earlyhelp.example.gov.uk/sittings/7',
  }),
  'sign-in-link': () => ({
    signInUrl: 'https://earlyhelp.example.gov.uk/sign-in/Qm4z',
    expiresAt: new Date('2027-03-22T09:15:00Z'),
  }),
};

const names = Object.keys(emailTemplates) as EmailTemplateName[];

describe('email templates', () => {
  it('has a params builder here for every registered template', () => {
    expect(Object.keys(build).sort()).toEqual([...names].sort());
  });

  it.each(names)('%s never shows a child’s or parent’s name, date of birth or address', (name) => {
    const email = renderEmail(name, build[name](surrounding));
    const everything = [email.subject, email.text, email.html, email.icalEvent?.content ?? ''].join('\n');
    expect(email.subject.length).toBeGreaterThan(10);
    expect(email.text).toContain('Early Help Allocations Hub');
    for (const word of forbidden) expect(everything).not.toContain(word);
  });

  it.each(names)('%s refuses the surrounding data itself: unknown keys are errors, not ignored', (name) => {
    const withRequest = { ...build[name](surrounding), request: surrounding.request };
    expect(() => parseEmailParams(name, withRequest)).toThrow(/request/);
  });

  it('refuses any key outside a template’s params', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...names),
        fc.string({ minLength: 1, maxLength: 20 }),
        fc.string(),
        (name, key, value) => {
          const params = build[name](surrounding) as Record<string, unknown>;
          fc.pre(!(key in params) && !['timezone', 'validMinutes', '__proto__'].includes(key));
          expect(() => parseEmailParams(name, { ...params, [key]: value })).toThrow();
        },
      ),
    );
  });

  it('shows times in the hub’s zone, GOV.UK style: 9:30am in GMT and in BST, 5pm, midday', () => {
    const reminder = build['proforma-reminder'](surrounding);
    const winter = renderEmail('proforma-reminder', {
      ...reminder,
      itemStartsAt: '2027-01-13T09:30:00Z',
      deadlineAt: '2027-01-11T12:00:00Z',
    });
    expect(winter.text).toContain('at 9:30am on Wednesday 13 January 2027');
    expect(winter.text).toContain('deadline: midday on Monday 11 January 2027');
    const summer = renderEmail('proforma-reminder', reminder);
    expect(summer.text).toContain('at 9:30am on Wednesday 31 March 2027');
    expect(summer.text).toContain('deadline: 5pm on Monday 29 March 2027');
    expect(summer.subject).toBe('Reminder 2: proforma for request EH-2027-0042 is due in 1 working day');
  });

  it('keeps school names as written in plain text and escapes them in HTML', () => {
    const email = renderEmail('proforma-reminder', {
      ...build['proforma-reminder'](surrounding),
      schoolName: "St Mary’s & St John's <Primary>",
    });
    expect(email.text).toContain("(St Mary’s & St John's <Primary>)");
    expect(email.html).toContain('St Mary’s &amp; St John&#39;s &lt;Primary&gt;');
    expect(email.html).not.toContain('<Primary>');
  });

  it('attaches the caller’s invite to the proforma request, with its METHOD', () => {
    const email = renderEmail('proforma-request', build['proforma-request'](surrounding));
    expect(email.icalEvent).toEqual({ filename: 'hub-slot.ics', method: 'REQUEST', content: ics });
    expect(() =>
      renderEmail('proforma-request', {
        ...build['proforma-request'](surrounding),
        invite: { ics: 'hello' },
      }),
    ).toThrow(/invite\.ics/);
  });

  it('renders a proforma email only once its link is known, and the invite is optional', () => {
    const { proformaUrl: _url, ...withoutLink } = build['proforma-reminder'](surrounding);
    expect(parseEmailParams('proforma-reminder', withoutLink)).not.toHaveProperty('proformaUrl');
    expect(() => renderEmail('proforma-reminder', withoutLink)).toThrow(/needs its proforma link/);
    const { invite: _invite, ...noInvite } = build['proforma-request'](surrounding);
    const email = renderEmail('proforma-request', noInvite);
    expect(email.icalEvent).toBeUndefined();
    expect(email.text).not.toContain('calendar invite');
  });

  it('says a sign-in link lasts 15 minutes and when it ends', () => {
    const email = renderEmail('sign-in-link', build['sign-in-link'](surrounding));
    expect(email.text).toContain('expires in 15 minutes (at 9:15am)');
    expect(email.text).toContain('https://earlyhelp.example.gov.uk/sign-in/Qm4z');
  });

  it('names the bad field and the unknown template', () => {
    expect(() => parseEmailParams('newsletter', {})).toThrow(/Unknown email template "newsletter"/);
    expect(() =>
      parseEmailParams('proforma-reminder', {
        ...build['proforma-reminder'](surrounding),
        requestReference: 'eh 42',
      }),
    ).toThrow(/requestReference/);
  });
});
