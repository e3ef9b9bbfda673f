import { DateTime } from 'luxon';

/*
 * Realistic, deterministic demo data for a fictional city: 6 localities, 30 schools, 15 agencies
 * of several kinds, ~80 requests including siblings at different schools. Pure: `now` and `seed`
 * come in; rows come out in the import format, so seeding exercises the same checks as imports.
 * No names of children or parents: the hub works on references.
 */

export const demoLocalities = [
  { code: 'north', name: 'North' },
  { code: 'south', name: 'South' },
  { code: 'east', name: 'East' },
  { code: 'west', name: 'West' },
  { code: 'central', name: 'Central' },
  { code: 'riverside', name: 'Riverside' },
];

/** The shared need taxonomy (codes are what agencies' specialisms and requests' needs use). */
export const needTaxonomy = [
  { code: 'parenting', label: 'Parenting support', category: 'family' },
  { code: 'attendance', label: 'School attendance', category: 'education' },
  { code: 'behaviour', label: 'Behaviour', category: 'education' },
  { code: 'send', label: 'Special educational needs and disabilities', category: 'education' },
  { code: 'emotional-wellbeing', label: 'Emotional wellbeing', category: 'health' },
  { code: 'mental-health', label: 'Mental health', category: 'health' },
  { code: 'physical-health', label: 'Physical health', category: 'health' },
  { code: 'domestic-abuse', label: 'Domestic abuse', category: 'safety' },
  { code: 'substance-misuse', label: 'Substance misuse in the family', category: 'safety' },
  { code: 'exploitation-risk', label: 'Risk of exploitation', category: 'safety' },
  { code: 'housing', label: 'Housing', category: 'family' },
  { code: 'financial-hardship', label: 'Financial hardship', category: 'family' },
  { code: 'young-carer', label: 'Young carer', category: 'family' },
  { code: 'bereavement', label: 'Bereavement', category: 'health' },
  { code: 'early-years', label: 'Early years development', category: 'health' },
];

/** A small deterministic PRNG (mulberry32) so the same seed gives the same city. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T,
    chance: (p: number) => next() < p,
  };
}

const schoolStems = [
  'Abbey',
  'Ashfield',
  'Beaumont',
  'Braunstone',
  'Church Hill',
  'Coleman',
  'Eyres Monsell',
  'Forest Lodge',
  'Glebelands',
  'Hazel',
  'Highfields',
  'Inglehurst',
  'Kestrel',
  'Linden',
  'Marriott',
  'Mellor',
  'Mowmacre',
  'Northfield',
  'Overdale',
  'Queensmead',
  'Rolleston',
  'Rowlatts Hill',
  'Sandfield',
  'Slater',
  'Taylor',
  'Thurnby Mead',
  'Uplands',
  'Whitehall',
  'Willowbrook',
  'Woodstock',
];

export interface DemoData {
  hub: {
    name: string;
    rrule: string;
    firstSitting: string;
    startTime: string;
    slotsPerSitting: number;
    breakAfterSlot: number;
    breakMinutes: number;
  };
  schools: Record<string, unknown>[];
  agencies: Record<string, unknown>[];
  requests: Record<string, unknown>[];
  users: { email: string; displayName: string; role: string; schoolUrn?: number; agencyName?: string }[];
}

export function demoData(nowIso: string, seed = 2027): DemoData {
  const rand = prng(seed);
  const now = DateTime.fromISO(nowIso, { zone: 'Europe/London' });
  const localities = demoLocalities.map((l) => l.code);

  const schools = schoolStems.map((stem, i) => {
    const phase = i % 10 === 9 ? 'Special' : i % 3 === 2 ? 'Secondary' : 'Primary';
    const suffix = phase === 'Special' ? 'School' : phase === 'Secondary' ? 'Academy' : 'Primary School';
    const slug = stem.toLowerCase().replace(/[^a-z]+/g, '-');
    return {
      URN: 120101 + i * 7,
      EstablishmentName: `${stem} ${suffix}`,
      Locality: localities[i % localities.length],
      PhaseOfEducation: phase,
      Postcode: `LE${(i % 9) + 1} ${(i % 7) + 1}${'ABDEFGHJ'[i % 8]}${'LNPQRSTU'[(i * 3) % 8]}`,
      SafeguardingLeadEmails: `dsl@${slug}.schools.example.org`,
    };
  });

  const agencies: Record<string, unknown>[] = [
    ...demoLocalities.map((l) => ({
      Name: `Family Support Team ${l.name}`,
      Kind: 'family-support',
      Specialisms: 'parenting; domestic-abuse; financial-hardship; housing; young-carer; behaviour',
      Localities: l.code,
      CityWide: 'no',
      MinAge: 0,
      MaxAge: 18,
      Capacity: 12,
      ActiveCases: rand.int(6, 11),
      ContactEmail: `family-support-${l.code}@council.example.gov.uk`,
    })),
    ...[0, 4].map((i) => ({
      Name: `${schools[i]?.EstablishmentName} (school-led early help)`,
      Kind: 'school',
      Specialisms: 'attendance; behaviour; emotional-wellbeing; send',
      Localities: String(schools[i]?.Locality),
      CityWide: 'no',
      MinAge: 4,
      MaxAge: 11,
      Capacity: 4,
      ActiveCases: 2,
      ContactEmail: String(schools[i]?.SafeguardingLeadEmails),
      SchoolURN: schools[i]?.URN,
    })),
    {
      Name: 'School Nursing Service',
      Kind: 'health',
      Specialisms: 'physical-health; emotional-wellbeing; substance-misuse',
      Localities: '',
      CityWide: 'yes',
      MinAge: 5,
      MaxAge: 19,
      Capacity: 20,
      ActiveCases: 14,
      ContactEmail: 'school-nursing@health.example.nhs.uk',
    },
    {
      Name: 'Health Visiting Service',
      Kind: 'health',
      Specialisms: 'early-years; parenting; physical-health',
      Localities: '',
      CityWide: 'yes',
      MinAge: 0,
      MaxAge: 5,
      Capacity: 15,
      ActiveCases: 9,
      ContactEmail: 'health-visiting@health.example.nhs.uk',
    },
    {
      Name: 'City Youth Service',
      Kind: 'youth',
      Specialisms: 'exploitation-risk; behaviour; substance-misuse; emotional-wellbeing',
      Localities: '',
      CityWide: 'yes',
      MinAge: 11,
      MaxAge: 19,
      Capacity: 10,
      ActiveCases: 7,
      ContactEmail: 'youth-service@council.example.gov.uk',
    },
    {
      Name: 'Together Families Trust',
      Kind: 'voluntary',
      Specialisms: 'parenting; domestic-abuse; bereavement; financial-hardship',
      Localities: 'north; east; riverside',
      CityWide: 'no',
      MinAge: 0,
      MaxAge: 16,
      Capacity: 8,
      ActiveCases: 5,
      ContactEmail: 'referrals@togetherfamilies.example.org',
    },
    {
      Name: 'Education Welfare Service',
      Kind: 'education-welfare',
      Specialisms: 'attendance; behaviour',
      Localities: '',
      CityWide: 'yes',
      MinAge: 5,
      MaxAge: 16,
      Capacity: 14,
      ActiveCases: 12,
      ContactEmail: 'education-welfare@council.example.gov.uk',
    },
    {
      Name: 'Early Help Emotional Wellbeing Team',
      Kind: 'mental-health',
      Specialisms: 'mental-health; emotional-wellbeing; bereavement',
      Localities: '',
      CityWide: 'yes',
      MinAge: 5,
      MaxAge: 18,
      Capacity: 10,
      ActiveCases: 9,
      ContactEmail: 'wellbeing@health.example.nhs.uk',
    },
    {
      Name: 'Housing Options Family Team',
      Kind: 'housing',
      Specialisms: 'housing; financial-hardship',
      Localities: '',
      CityWide: 'yes',
      MinAge: 0,
      MaxAge: 18,
      Capacity: 6,
      ActiveCases: 4,
      ContactEmail: 'housing-families@council.example.gov.uk',
    },
  ];

  // Families: most with one request; some with siblings at different schools (one request each,
  // which the agenda must hear together as one family item).
  const needCodes = needTaxonomy.map((n) => n.code);
  const requests: Record<string, unknown>[] = [];
  let familyNo = 0;
  let requestNo = 0;
  const year = now.year;
  while (requests.length < 80) {
    familyNo++;
    const family = `FAM-${year}-${String(familyNo).padStart(4, '0')}`;
    const locality = rand.pick(localities);
    const local = schools.filter((s) => s.Locality === locality);
    const siblings = rand.chance(0.18) ? rand.int(2, 3) : 1;
    const familyNeeds = Array.from(
      new Set([rand.pick(needCodes), rand.pick(needCodes), rand.pick(needCodes)]),
    ).slice(0, rand.int(1, 3));
    const consent = rand.chance(0.9);
    const urgency = rand.chance(0.15) ? 'high' : rand.chance(0.2) ? 'low' : 'normal';
    for (let s = 0; s < siblings && requests.length < 80; s++) {
      requestNo++;
      const school =
        siblings > 1
          ? (local[s % local.length] ?? rand.pick(schools))
          : rand.pick(local.length ? local : schools);
      const age = school.PhaseOfEducation === 'Secondary' ? rand.int(11, 16) : rand.int(4, 11);
      const dob = now.minus({ years: age, days: rand.int(0, 360) }).toISODate();
      const received = now.minus({ days: rand.int(1, 56), hours: rand.int(0, 8) }).toUTC();
      const review = rand.chance(0.1);
      const recordedAt = received.minus({ days: rand.int(0, 5) });
      requests.push({
        Reference: `EH-${year}-${String(requestNo).padStart(4, '0')}`,
        Hub: 'City Early Help Allocations Hub',
        Kind: review ? 'review' : 'new',
        FamilyReference: family,
        Locality: locality,
        SchoolURN: school.URN,
        ChildDatesOfBirth: dob,
        Urgency: urgency,
        Needs: familyNeeds.map((code) => `${code}:${rand.int(1, 3)}`).join('; '),
        Complex: rand.chance(0.08) ? 'yes' : 'no',
        ConsentGiven: consent ? 'yes' : 'no',
        ConsentRecordedAt: consent ? recordedAt.toISO() : undefined,
        ConsentRecordedBy: consent ? `Designated safeguarding lead, ${school.EstablishmentName}` : undefined,
        ReferrerName: rand.pick(['A. Patel', 'J. Morris', 'S. Okafor', 'L. Nowak', 'R. Begum', 'K. Hughes']),
        ReferrerOrganisation: school.EstablishmentName,
        ReferrerEmail: school.SafeguardingLeadEmails,
        ReceivedAt: received.toISO(),
        ReviewDueAt: review
          ? now
              .plus({ days: rand.int(-10, 20) })
              .toUTC()
              .toISO()
          : undefined,
        ExternalReference: `LL-${700000 + requestNo * 13}`,
      });
    }
  }

  // The first Wednesday on or after today: the hub sits fortnightly from there.
  const firstSitting = now.plus({ days: (3 - now.weekday + 7) % 7 }).toISODate() as string;
  const first = schools[0] as (typeof schools)[number];
  return {
    hub: {
      name: 'City Early Help Allocations Hub',
      rrule: 'FREQ=WEEKLY;INTERVAL=2;BYDAY=WE',
      firstSitting,
      startTime: '09:30',
      slotsPerSitting: 12,
      breakAfterSlot: 6,
      breakMinutes: 30,
    },
    schools,
    agencies,
    requests,
    users: [
      { email: 'admin@council.example.gov.uk', displayName: 'Hub administrator', role: 'admin' },
      { email: 'chair@council.example.gov.uk', displayName: 'Hub chair', role: 'chair' },
      {
        email: 'coordinator@council.example.gov.uk',
        displayName: 'Early Help coordinator',
        role: 'coordinator',
      },
      {
        email: 'coordinator2@council.example.gov.uk',
        displayName: 'Early Help coordinator (2)',
        role: 'coordinator',
      },
      {
        email: String(first.SafeguardingLeadEmails),
        displayName: `DSL, ${first.EstablishmentName}`,
        role: 'school',
        schoolUrn: first.URN,
      },
      {
        email: String(schools[1]?.SafeguardingLeadEmails),
        displayName: `DSL, ${schools[1]?.EstablishmentName}`,
        role: 'school',
        schoolUrn: schools[1]?.URN,
      },
      {
        email: 'family-support-north@council.example.gov.uk',
        displayName: 'Family Support Team North',
        role: 'agency',
        agencyName: 'Family Support Team North',
      },
      {
        email: 'youth-service@council.example.gov.uk',
        displayName: 'City Youth Service',
        role: 'agency',
        agencyName: 'City Youth Service',
      },
    ],
  };
}
