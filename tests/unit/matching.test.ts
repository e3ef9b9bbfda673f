import { describe, expect, it } from 'vitest';
import {
  ageOn,
  allocationDates,
  brokenRule,
  compareIds,
  defaultMatchWeights,
  indexAgency,
  type MatchAgency,
  type MatchRequest,
  matchWeightsSchema,
  normaliseWeights,
  proposeMatches,
  SCORE_UNITS,
} from '../../src/domain/matching.ts';

const agency = (id: string, over: Partial<MatchAgency> = {}): MatchAgency => ({
  id,
  kind: 'family-support',
  specialisms: ['parenting', 'attendance', 'housing'],
  localities: ['west'],
  cityWide: false,
  minAge: 0,
  maxAge: 18,
  capacity: 12,
  activeCases: 8,
  ...over,
});

const request = (id: string, over: Partial<MatchRequest> = {}): MatchRequest => ({
  id,
  locality: 'west',
  needs: [{ code: 'parenting', severity: 3 }],
  childAges: [7, 12],
  involvedAgencyIds: [],
  ...over,
});

describe('hard rules', () => {
  const rule = (r: MatchRequest, a: MatchAgency) => brokenRule(r, indexAgency(a));

  it('accepts an agency that covers a need, takes every child, serves the locality and has room', () => {
    expect(rule(request('R1'), agency('A1'))).toBeNull();
  });

  it('refuses a full agency', () => {
    expect(rule(request('R1'), agency('A1', { capacity: 5, activeCases: 5 }))).toBe('no-capacity');
  });

  it('refuses when any one child is outside the age range, ends included', () => {
    expect(rule(request('R1', { childAges: [4, 11] }), agency('A1', { minAge: 5 }))).toBe('age-range');
    expect(rule(request('R1', { childAges: [5, 11] }), agency('A1', { minAge: 5, maxAge: 11 }))).toBeNull();
  });

  it('refuses another locality unless the agency is city-wide', () => {
    expect(rule(request('R1', { locality: 'east' }), agency('A1'))).toBe('locality');
    expect(rule(request('R1', { locality: 'east' }), agency('A1', { cityWide: true }))).toBeNull();
  });

  it('refuses an agency that works on none of the needs', () => {
    expect(
      rule(request('R1', { needs: [{ code: 'housing', severity: 1 }] }), agency('A1', { specialisms: [] })),
    ).toBe('no-agency-covers-need');
  });
});

describe('score and breakdown', () => {
  it('explains every component in words a coordinator can read', () => {
    const r = request('R1', {
      needs: [
        { code: 'parenting', severity: 3 },
        { code: 'attendance', severity: 2 },
        { code: 'housing', severity: 1 },
      ],
      involvedAgencyIds: ['A1'],
    });
    const [a] = proposeMatches([agency('A1')], [r]).assignments;
    expect(a?.breakdown.text).toBe(
      'needs 3/3 covered (parenting, attendance, housing); same locality; already involved; 4 of 12 places free; family-support suits 2/3 needs',
    );
    // kind fit: parenting (3) and housing (1) of 6 severity points suit family support.
    expect(a?.breakdown.kindFit.value).toBeCloseTo(4 / 6, 12);
    expect(a?.breakdown.headroom.value).toBeCloseTo(4 / 12, 12);
  });

  it('weights need coverage by severity and names what is not covered', () => {
    const r = request('R1', {
      needs: [
        { code: 'parenting', severity: 3 },
        { code: 'mental-health', severity: 1 },
      ],
    });
    const [a] = proposeMatches([agency('A1')], [r]).assignments;
    expect(a?.breakdown.need.value).toBe(0.75);
    expect(a?.breakdown.need.uncovered).toEqual(['mental-health']);
    expect(a?.breakdown.text).toContain('needs 1/2 covered (parenting; not mental-health)');
  });

  it('is the weighted sum of its components, on a grid of 2^-20, and never above 1', () => {
    const r = request('R1', { involvedAgencyIds: ['A1'] });
    const [a] = proposeMatches([agency('A1', { activeCases: 0 })], [r]).assignments;
    const b = a!.breakdown;
    const sum =
      b.need.contribution +
      b.locality.contribution +
      b.continuity.contribution +
      b.headroom.contribution +
      b.kindFit.contribution;
    expect(Number.isInteger(a!.score * SCORE_UNITS)).toBe(true);
    expect(Math.abs(a!.score - sum)).toBeLessThanOrEqual(2 ** -21);
    expect(a!.score).toBeLessThanOrEqual(1);
  });

  it('prefers the own-locality agency to a city-wide one, all else equal', () => {
    const p = proposeMatches(
      [agency('A1', { localities: [], cityWide: true }), agency('A2')],
      [request('R1')],
    );
    expect(p.assignments[0]?.agencyId).toBe('A2');
    expect(p.assignments[0]?.alternatives[0]?.breakdown.locality.match).toBe('city-wide');
  });

  it('prefers the agency already involved with the family', () => {
    const p = proposeMatches([agency('A1'), agency('A2')], [request('R1', { involvedAgencyIds: ['A2'] })]);
    expect(p.assignments[0]?.agencyId).toBe('A2');
  });
});

describe('weights', () => {
  it('has documented defaults that sum to 1', () => {
    const w = normaliseWeights(null);
    expect(w).toEqual(defaultMatchWeights);
    expect(w.need + w.locality + w.continuity + w.headroom + w.kindFit).toBeCloseTo(1, 15);
  });

  it('takes any subset, fills the rest with defaults and normalises', () => {
    const w = matchWeightsSchema.parse({ continuity: 0.8 });
    expect(w.continuity / w.need).toBeCloseTo(0.8 / 0.4, 12);
    expect(w.need + w.locality + w.continuity + w.headroom + w.kindFit).toBeCloseTo(1, 15);
  });

  it('refuses negative weights, unknown keys and all zeros, naming the field', () => {
    const bad = (value: unknown) =>
      matchWeightsSchema.safeParse(value).error?.issues.map((i) => i.path.join('.'));
    expect(bad({ need: -1 })).toEqual(['need']);
    expect(matchWeightsSchema.safeParse({ kindfit: 1 }).success).toBe(false);
    expect(
      matchWeightsSchema.safeParse({ need: 0, locality: 0, continuity: 0, headroom: 0, kindFit: 0 }).success,
    ).toBe(false);
  });

  it('changes the proposal when a hub values continuity over coverage', () => {
    const agencies = [
      agency('A1', { specialisms: ['parenting', 'housing'] }),
      agency('A2', { specialisms: ['parenting'] }),
    ];
    const r = request('R1', {
      needs: [
        { code: 'parenting', severity: 2 },
        { code: 'housing', severity: 2 },
      ],
      involvedAgencyIds: ['A2'],
    });
    expect(proposeMatches(agencies, [r]).assignments[0]?.agencyId).toBe('A1');
    const continuityFirst = matchWeightsSchema.parse({ continuity: 5 });
    expect(proposeMatches(agencies, [r], { weights: continuityFirst }).assignments[0]?.agencyId).toBe('A2');
  });
});

describe('batch proposal', () => {
  it('never gives two requests the last place at one agency', () => {
    const p = proposeMatches([agency('A1', { activeCases: 11 })], [request('R1'), request('R2')]);
    expect(p.assignments).toHaveLength(1);
    expect(p.unassigned).toEqual([
      expect.objectContaining({
        reason: 'no-capacity',
        alternatives: [expect.objectContaining({ agencyId: 'A1' })],
      }),
    ]);
  });

  it('assigns as many requests as possible before maximising the score', () => {
    // R1 scores far better at A1, but only R1 can use A2: the best total (R1 at A1) leaves R2 out.
    const agencies = [
      agency('A1', { capacity: 1, activeCases: 0 }),
      agency('A2', {
        capacity: 1,
        activeCases: 0,
        cityWide: true,
        localities: [],
        specialisms: ['parenting'],
      }),
    ];
    const requests = [
      request('R1', { involvedAgencyIds: ['A1'] }),
      request('R2', { childAges: [17], needs: [{ code: 'housing', severity: 1 }] }),
    ];
    const p = proposeMatches(agencies, requests);
    expect(p.assignments.map((a) => [a.requestId, a.agencyId])).toEqual([
      ['R1', 'A2'],
      ['R2', 'A1'],
    ]);
    expect(p.unassigned).toEqual([]);
  });

  it('breaks ties by id: the lower request id wins a contested place, then the lower agency id', () => {
    const p = proposeMatches(
      [agency('A2', { activeCases: 11 }), agency('A1', { activeCases: 11 })],
      [request('R3'), request('R2'), request('R1')],
    );
    expect(p.assignments.map((a) => [a.requestId, a.agencyId])).toEqual([
      ['R1', 'A1'],
      ['R2', 'A2'],
    ]);
    expect(p.unassigned.map((u) => u.requestId)).toEqual(['R3']);
  });

  it('orders numeric ids numerically', () => {
    expect(['10', 'R1', '9', 'A'].sort(compareIds)).toEqual(['9', '10', 'A', 'R1']);
    const p = proposeMatches([agency('5', { activeCases: 11 })], [request('10'), request('9')]);
    expect(p.assignments[0]?.requestId).toBe('9');
  });

  it('lists up to three alternatives, best first, ties by agency id, without the proposed one', () => {
    const agencies = ['A5', 'A4', 'A3', 'A2', 'A1'].map((id) => agency(id));
    const p = proposeMatches(agencies, [request('R1', { involvedAgencyIds: ['A4'] })]);
    expect(p.assignments[0]?.agencyId).toBe('A4');
    expect(p.assignments[0]?.alternatives.map((a) => a.agencyId)).toEqual(['A1', 'A2', 'A3']);
  });

  it('gives each unassigned request the first filter that leaves no agency', () => {
    const agencies = [
      agency('A1', { specialisms: ['attendance'], localities: ['west'] }),
      agency('A2', { specialisms: ['attendance'], cityWide: true, localities: [], maxAge: 16 }),
      agency('A3', { specialisms: ['exploitation-risk'], localities: ['east'], capacity: 3, activeCases: 3 }),
    ];
    const attendance = [{ code: 'attendance', severity: 1 }];
    const p = proposeMatches(agencies, [
      request('R1', { needs: [{ code: 'mental-health', severity: 2 }] }),
      // A2 works on it but not at 17; A1 takes 17 but is in the west: locality stops it last.
      request('R2', { locality: 'north', needs: attendance, childAges: [17] }),
      request('R4', {
        locality: 'east',
        needs: [{ code: 'exploitation-risk', severity: 3 }],
        childAges: [14],
      }),
    ]);
    expect(p.unassigned.map((u) => [u.requestId, u.reason])).toEqual([
      ['R1', 'no-agency-covers-need'],
      ['R2', 'locality'],
      ['R4', 'no-capacity'],
    ]);
    // Without A1, the age filter already leaves nobody (A2 stops at 16), wherever the family lives.
    const ageOnly = proposeMatches(
      [agencies[1]!],
      [request('R5', { locality: 'north', needs: attendance, childAges: [17] })],
    );
    expect(ageOnly.unassigned[0]?.reason).toBe('age-range');
  });

  it('reports the exact total of the assigned scores and, when asked, every candidate', () => {
    const p = proposeMatches(
      [agency('A1'), agency('A2', { cityWide: true, localities: [] })],
      [request('R1'), request('R2')],
      {
        includeCandidates: true,
      },
    );
    expect(p.totalScore).toBe(p.assignments.reduce((s, a) => s + a.score, 0));
    expect(p.candidates?.map((c) => `${c.requestId}/${c.agencyId}`)).toEqual([
      'R1/A1',
      'R1/A2',
      'R2/A1',
      'R2/A2',
    ]);
  });

  it('treats a request with no recorded need as coverable by any agency that passes the other rules', () => {
    const p = proposeMatches([agency('A1')], [request('R1', { needs: [] })]);
    expect(p.assignments[0]?.breakdown.text.startsWith('no needs recorded')).toBe(true);
  });

  it('refuses duplicate ids', () => {
    expect(() => proposeMatches([agency('A1'), agency('A1')], [])).toThrow(/duplicate agency id A1/);
  });
});

describe('dates', () => {
  it('counts a child as a year older from the birthday itself, 29 February from 1 March', () => {
    expect(ageOn('2015-03-31', '2027-03-31')).toBe(12);
    expect(ageOn('2015-04-01', '2027-03-31')).toBe(11);
    expect(ageOn('2012-02-29', '2027-02-28')).toBe(14);
    expect(ageOn('2012-02-29', '2027-03-01')).toBe(15);
  });

  it('sets the review 3 months and the questioning point 12 months after the decision day', () => {
    expect(allocationDates('2027-03-31')).toEqual({ reviewDueOn: '2027-06-30', endsBy: '2028-03-31' });
    // Month ends clamp: 30 November + 3 months is the last day of February.
    expect(allocationDates('2027-11-30')).toEqual({ reviewDueOn: '2028-02-29', endsBy: '2028-11-30' });
    expect(allocationDates('2028-02-29')).toEqual({ reviewDueOn: '2028-05-29', endsBy: '2029-02-28' });
  });
});
