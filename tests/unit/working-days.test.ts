import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import {
  addWorkingDays,
  bankHolidayName,
  bankHolidaysOf,
  dayStatus,
  fromEpochDay,
  isWithinWorkingHours,
  isWorkingDay,
  nextWorkingInstant,
  toEpochDay,
  weekdayOf,
  zoneOffsetAt,
} from '../../src/domain/working-days.ts';

// Run under TZ=UTC and TZ=Europe/London: nothing here may depend on the server's zone.

describe('England & Wales bank holidays', () => {
  it('lists the 2027 bank holidays with both Christmas substitute days (Christmas falls on a Saturday)', () => {
    expect([...bankHolidaysOf(2027)]).toEqual([
      ['2027-01-01', "New Year's Day"],
      ['2027-03-26', 'Good Friday'],
      ['2027-03-29', 'Easter Monday'],
      ['2027-05-03', 'Early May bank holiday'],
      ['2027-05-31', 'Spring bank holiday'],
      ['2027-08-30', 'Summer bank holiday'],
      ['2027-12-25', 'Christmas Day'],
      ['2027-12-26', 'Boxing Day'],
      ['2027-12-27', 'Christmas Day (substitute day)'],
      ['2027-12-28', 'Boxing Day (substitute day)'],
    ]);
  });

  it.each([
    ['2028-01-03', "New Year's Day (substitute day)"], // 1 Jan 2028 is a Saturday
    ['2033-12-27', 'Christmas Day (substitute day)'], // 25 Dec 2033 is a Sunday, Boxing Day the Monday
    ['2022-06-03', 'Queen’s Platinum Jubilee'],
    ['2022-06-02', 'Spring bank holiday'], // moved from 30 May for the jubilee
    ['2022-09-19', "Queen Elizabeth's Funeral Day"],
    ['2023-05-08', "King Charles III's Coronation"],
    ['2020-05-08', 'Early May bank holiday (VE day)'], // moved from Monday 4 May
    ['2011-04-29', 'Royal Wedding'], // one-off the library leaves out, supplemented here
  ])('%s is "%s"', (date, name) => {
    expect(bankHolidayName(date)).toBe(name);
    expect(isWorkingDay(date)).toBe(false);
  });

  it.each([
    ['2020-05-04', 'the usual early May Monday, moved to VE day that year'],
    ['2022-05-30', 'the usual spring Monday, moved for the jubilee'],
    ['2027-03-28', "Easter Sunday is an observance, not a bank holiday (and it's a Sunday)"],
    ['2027-06-20', "Father's Day is an observance"],
    ['2027-03-17', "St Patrick's Day is a bank holiday only in Northern Ireland"],
    ['2027-11-30', "St Andrew's Day is a bank holiday only in Scotland"],
  ])('%s is not a bank holiday (%s)', (date) => {
    expect(bankHolidayName(date)).toBeNull();
  });

  it('has 8 or more bank holidays every year 2024-2035, each on a weekday unless it has a substitute', () => {
    for (let year = 2024; year <= 2035; year += 1) {
      const days = [...bankHolidaysOf(year)];
      expect(days.length).toBeGreaterThanOrEqual(8);
      for (const [date, name] of days) {
        if (weekdayOf(date) > 5) {
          const substitute = days.find(([, n]) => n === `${name} (substitute day)`);
          expect(substitute, `${date} ${name} falls at a weekend`).toBeDefined();
        }
      }
    }
  });
});

describe('working days', () => {
  const christmasClosure = [{ startsOn: '2027-12-29', endsOn: '2027-12-31', reason: 'Christmas closure' }];

  it('says why a day is not a working day, bank holiday first', () => {
    expect(dayStatus('2027-12-27', christmasClosure)).toEqual({
      kind: 'bank-holiday',
      name: 'Christmas Day (substitute day)',
    });
    expect(dayStatus('2027-12-30', christmasClosure)).toEqual({
      kind: 'closure',
      reason: 'Christmas closure',
    });
    expect(dayStatus('2027-12-30')).toEqual({ kind: 'working' });
    expect(dayStatus('2028-01-01')).toEqual({ kind: 'bank-holiday', name: "New Year's Day" });
    expect(dayStatus('2027-07-03')).toEqual({ kind: 'weekend', name: 'Saturday' });
  });

  it('counts working days forwards and backwards over Easter', () => {
    // Thu 25 Mar 2027 -> (Good Friday, weekend, Easter Monday) -> Tue 30 Mar
    expect(addWorkingDays('2027-03-25', 1)).toBe('2027-03-30');
    expect(addWorkingDays('2027-03-30', -1)).toBe('2027-03-25');
    expect(addWorkingDays('2027-03-30', -2)).toBe('2027-03-24');
    expect(addWorkingDays('2027-03-30', 0)).toBe('2027-03-30');
  });

  it('counts over Christmas with the substitute days and a closure', () => {
    expect(addWorkingDays('2027-12-24', 1)).toBe('2027-12-29');
    // 29-31 Dec closed, 3 Jan 2028 is the New Year substitute
    expect(addWorkingDays('2027-12-24', 1, christmasClosure)).toBe('2028-01-04');
    expect(addWorkingDays('2028-01-04', -1, christmasClosure)).toBe('2027-12-24');
  });

  it('property: from a working day, n working days there and back is the same day', () => {
    const day = fc
      .integer({ min: toEpochDay('2024-01-01'), max: toEpochDay('2035-12-31') })
      .map(fromEpochDay);
    fc.assert(
      fc.property(day, fc.integer({ min: -40, max: 40 }), (date, n) => {
        fc.pre(isWorkingDay(date));
        const there = addWorkingDays(date, n);
        expect(isWorkingDay(there)).toBe(true);
        expect(addWorkingDays(there, -n)).toBe(date);
      }),
    );
  });

  it('property: epoch-day arithmetic agrees with the calendar', () => {
    fc.assert(
      fc.property(fc.integer({ min: -200_000, max: 200_000 }), (n) => {
        const date = fromEpochDay(n);
        expect(toEpochDay(date)).toBe(n);
        expect(date).toBe(new Date(n * 86_400_000).toISOString().slice(0, 10));
      }),
    );
  });
});

describe('working hours in Europe/London', () => {
  const zone = 'Europe/London';

  it('reads 08:00-18:00 as local wall time in winter (GMT) and in summer (BST)', () => {
    expect(isWithinWorkingHours('2027-01-06T07:59:00Z', zone)).toBe(false);
    expect(isWithinWorkingHours('2027-01-06T08:00:00Z', zone)).toBe(true);
    expect(isWithinWorkingHours('2027-07-07T07:00:00Z', zone)).toBe(true); // 08:00 BST
    expect(isWithinWorkingHours('2027-07-07T16:59:00Z', zone)).toBe(true); // 17:59 BST
    expect(isWithinWorkingHours('2027-07-07T17:00:00Z', zone)).toBe(false); // 18:00 BST: closed
    expect(isWithinWorkingHours(new Date('2027-07-07T12:00:00Z'), zone)).toBe(true);
  });

  it('is closed at weekends, on bank holidays and on closure days', () => {
    expect(isWithinWorkingHours('2027-07-03T10:00:00Z', zone)).toBe(false); // Saturday
    expect(isWithinWorkingHours('2027-05-31T10:00:00Z', zone)).toBe(false); // Spring bank holiday
    const closures = [{ startsOn: '2027-07-07', endsOn: '2027-07-07', reason: 'Training day' }];
    expect(isWithinWorkingHours('2027-07-07T10:00:00Z', zone, '08:00', '18:00', closures)).toBe(false);
  });

  it('gives the next opening at 08:00 local across Easter and the spring clock change', () => {
    // Thursday 25 Mar 2027 18:30 GMT -> Good Friday, weekend (clocks go forward), Easter Monday
    expect(nextWorkingInstant('2027-03-25T18:30:00Z', zone)).toBe('2027-03-30T08:00:00+01:00');
    // before opening on a working day: the same day's 08:00 BST
    expect(nextWorkingInstant('2027-07-07T05:00:00Z', zone)).toBe('2027-07-07T08:00:00+01:00');
    // within hours: the same instant, written in the zone
    expect(nextWorkingInstant('2027-07-07T09:00:00Z', zone)).toBe('2027-07-07T10:00:00+01:00');
    // Friday 29 Oct 2027 after hours -> Monday 1 Nov 08:00 GMT (clocks went back on the 31st)
    expect(nextWorkingInstant('2027-10-29T18:30:00+01:00', zone)).toBe('2027-11-01T08:00:00+00:00');
  });

  it('property: the cached zone offsets agree with luxon, to the second around clock changes', () => {
    const zones = fc.constantFrom(
      'Europe/London',
      'America/New_York',
      'Australia/Lord_Howe',
      'Asia/Kolkata',
      'UTC',
    );
    const instant = fc.integer({ min: Date.UTC(2024, 0, 1), max: Date.UTC(2036, 0, 1) });
    fc.assert(
      fc.property(zones, instant, (zone, ms) => {
        expect(zoneOffsetAt(zone, ms)).toBe(DateTime.fromMillis(ms, { zone }).offset);
      }),
      { numRuns: 500 },
    );
    // 2027-03-28 01:00:00Z clocks go forward; 2027-10-31 01:00:00Z back.
    expect(zoneOffsetAt(zone, Date.UTC(2027, 2, 28, 0, 59, 59))).toBe(0);
    expect(zoneOffsetAt(zone, Date.UTC(2027, 2, 28, 1, 0, 0))).toBe(60);
    expect(zoneOffsetAt(zone, Date.UTC(2027, 9, 31, 0, 59, 59))).toBe(60);
    expect(zoneOffsetAt(zone, Date.UTC(2027, 9, 31, 1, 0, 0))).toBe(0);
  });

  it('refuses an instant with no offset (it would be read in the server zone)', () => {
    expect(() => isWithinWorkingHours('2027-07-07T10:00:00', zone)).toThrow(/offset/);
  });
});
