import { describe, expect, it } from 'vitest';
import { parseCsvRows, parseJsonRows } from '../../src/import/read.ts';
import { agencyRow, normaliseColumns, requestRow, schoolRow } from '../../src/import/rows.ts';

describe('import rows', () => {
  it('numbers CSV rows as a spreadsheet does (header is row 1) and accepts GIAS "(name)" columns', () => {
    const rows = parseCsvRows(
      'URN,EstablishmentName,Locality,PhaseOfEducation (name)\n120101,Abbey Primary School,West,Primary\n',
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]?.row).toBe(2);
    const parsed = schoolRow.parse(normaliseColumns(rows[0]?.values ?? {}));
    expect(parsed).toMatchObject({
      URN: 120101,
      Locality: 'west',
      PhaseOfEducation: 'Primary',
      SafeguardingLeadEmails: [],
    });
  });

  it('numbers JSON rows from 1 and refuses a non-array', () => {
    expect(parseJsonRows('[{"a":1},{"a":2}]').map((r) => r.row)).toEqual([1, 2]);
    expect(() => parseJsonRows('{"a":1}')).toThrow(/array of objects/);
  });

  it('explains a bad URN, a bad email and a missing name', () => {
    const result = schoolRow.safeParse({
      URN: '12345',
      SafeguardingLeadEmails: 'dsl@school; not-an-email',
      Locality: 'west',
    });
    expect(result.success).toBe(false);
    const fields = result.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(fields).toContain('URN: must be a 6-digit DfE URN');
    expect(fields).toContain('EstablishmentName: is required');
    expect(fields?.some((f) => f.startsWith('SafeguardingLeadEmails.1'))).toBe(true);
  });

  it('checks agency ages, capacity and localities against each other', () => {
    const result = agencyRow.safeParse({
      Name: 'Team',
      Kind: 'Family-Support',
      MinAge: 12,
      MaxAge: 5,
      Capacity: 3,
      ActiveCases: 4,
      ContactEmail: 'team@example.org',
    });
    const fields = result.error?.issues.map((i) => i.path.join('.'));
    expect(fields).toEqual(expect.arrayContaining(['MaxAge', 'ActiveCases', 'Localities']));
  });

  it('parses needs with severities and insists consent is recorded when given', () => {
    const base = {
      Reference: 'eh-1',
      Hub: 'City',
      Kind: 'new',
      FamilyReference: 'FAM-1',
      Locality: 'west',
      ChildDatesOfBirth: '2018-04-01; 2020-09-30',
      Needs: 'parenting:3; housing',
      ReferrerName: 'A. Patel',
      ReferrerOrganisation: 'Abbey Primary School',
      ReceivedAt: '2027-03-01T10:00:00Z',
    };
    const ok = requestRow.parse(base);
    expect(ok.Reference).toBe('EH-1');
    expect(ok.Needs).toEqual([
      { code: 'parenting', severity: 3 },
      { code: 'housing', severity: 2 },
    ]);
    expect(ok.ChildDatesOfBirth).toEqual(['2018-04-01', '2020-09-30']);
    const noRecord = requestRow.safeParse({ ...base, ConsentGiven: 'yes' });
    expect(noRecord.error?.issues.map((i) => i.path.join('.'))).toContain('ConsentRecordedAt');
    const localTime = requestRow.safeParse({ ...base, ReceivedAt: '2027-03-01 10:00' });
    expect(localTime.error?.issues[0]?.message).toMatch(/with a zone/);
  });
});

describe('import dates', () => {
  it('names an impossible date instead of crashing (luxon throws on invalid dates in tests)', () => {
    const result = requestRow.safeParse({
      ChildDatesOfBirth: '2019-02-30',
      ReceivedAt: '2027-13-01T10:00:00Z',
    });
    const messages = result.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];
    expect(messages).toContain('ChildDatesOfBirth.0: must be a date written YYYY-MM-DD');
    expect(messages).toContain('ReceivedAt: must be a date and time with a zone, e.g. 2027-03-01T10:00:00Z');
  });
});
