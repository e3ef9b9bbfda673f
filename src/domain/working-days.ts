import Holidays from 'date-holidays';
import { DateTime, IANAZone } from 'luxon';
import { AppError } from '../errors.ts';

/*
 * Working days in England and Wales. Pure: dates are 'YYYY-MM-DD' strings (calendar dates with no
 * zone), instants are ISO strings or Dates and are read in an explicit zone. Nothing here reads
 * the clock or the server's zone.
 */

/** A closure of a hub (or of every hub): inclusive date range and the reason people are shown. */
export interface Closure {
  startsOn: string;
  endsOn: string;
  reason: string;
}

/** Why a date is or is not a working day. A bank holiday wins over a closure, a closure over a weekend. */
export type DayStatus =
  | { kind: 'working' }
  | { kind: 'bank-holiday'; name: string }
  | { kind: 'closure'; reason: string }
  | { kind: 'weekend'; name: 'Saturday' | 'Sunday' };

/**
 * One-off bank holidays that date-holidays 3.x does not list for GB-ENG. Everything else (the
 * eight regular days, substitute days, jubilees, the coronation, the 2022 state funeral, the moved
 * 2020 VE day and 2022 spring holiday) comes from the library.
 */
const SUPPLEMENT: Record<string, string> = {
  '1999-12-31': 'Millennium Celebrations',
  '2011-04-29': 'Royal Wedding',
};

// date-holidays reports England's bank holidays as 'public' (Mother's Day etc. are 'observance');
// 'bank' is accepted too in case a later data release classifies them so.
const BANK_HOLIDAY_TYPES = new Set(['public', 'bank']);

let holidaysLibrary: Holidays | undefined;
const yearCache = new Map<number, ReadonlyMap<string, string>>();

/** Bank holidays of England and Wales in `year`, date -> name (substitute days included), cached per year. */
export function bankHolidaysOf(year: number): ReadonlyMap<string, string> {
  const cached = yearCache.get(year);
  if (cached) return cached;
  holidaysLibrary ??= new Holidays('GB', 'ENG');
  const days = new Map<string, string>();
  for (const holiday of holidaysLibrary.getHolidays(year)) {
    if (!BANK_HOLIDAY_TYPES.has(holiday.type)) continue;
    // `date` is the local calendar date as text ("2027-12-27 00:00:00"): no zone conversion involved.
    const date = holiday.date.slice(0, 10);
    const existing = days.get(date);
    days.set(date, existing ? `${existing}; ${holiday.name}` : holiday.name);
  }
  for (const [date, name] of Object.entries(SUPPLEMENT)) {
    if (date.startsWith(`${year}-`) && !days.has(date)) days.set(date, name);
  }
  const sorted = new Map([...days].sort(([a], [b]) => (a < b ? -1 : 1)));
  yearCache.set(year, sorted);
  return sorted;
}

/** The bank holiday's name on `date` (e.g. "Christmas Day (substitute day)"), or null. */
export function bankHolidayName(date: string): string | null {
  return bankHolidaysOf(parseDate(date).year).get(date) ?? null;
}

/** The closure covering `date`, if any (the first one listed wins). */
export function closureOn(date: string, closures: readonly Closure[]): Closure | null {
  for (const closure of closures) {
    if (closure.startsOn <= date && date <= closure.endsOn) return closure;
  }
  return null;
}

/** Whether `date` is a working day, and if not, why. */
export function dayStatus(date: string, closures: readonly Closure[] = []): DayStatus {
  const holiday = bankHolidayName(date);
  if (holiday !== null) return { kind: 'bank-holiday', name: holiday };
  const closure = closureOn(date, closures);
  if (closure !== null) return { kind: 'closure', reason: closure.reason };
  const weekday = weekdayOf(date);
  if (weekday === 6) return { kind: 'weekend', name: 'Saturday' };
  if (weekday === 7) return { kind: 'weekend', name: 'Sunday' };
  return { kind: 'working' };
}

/** Monday to Friday, not an England & Wales bank holiday, and not inside any of `closures`. */
export function isWorkingDay(date: string, closures: readonly Closure[] = []): boolean {
  const weekday = weekdayOf(date);
  if (weekday > 5) return false;
  if (bankHolidayName(date) !== null) return false;
  return closureOn(date, closures) === null;
}

/**
 * The date `n` working days after `date` (before it when `n` is negative), counting only working
 * days and not counting `date` itself: addWorkingDays(Friday, 1) is the next Monday if that is
 * working. `n = 0` returns `date` unchanged, working or not.
 */
export function addWorkingDays(date: string, n: number, closures: readonly Closure[] = []): string {
  if (!Number.isInteger(n)) throw new RangeError(`addWorkingDays: n must be an integer, got ${n}`);
  const step = n < 0 ? -1 : 1;
  let remaining = Math.abs(n);
  let day = toEpochDay(date);
  while (remaining > 0) {
    day += step;
    if (isWorkingDay(fromEpochDay(day), closures)) remaining -= 1;
  }
  return n === 0 ? date : fromEpochDay(day);
}

/**
 * The first working day strictly after `date`, looking at most `maxDays` ahead; null when there is
 * none in that span (e.g. a closure longer than a year).
 */
export function nextWorkingDay(
  date: string,
  closures: readonly Closure[] = [],
  maxDays = 366,
): string | null {
  let day = toEpochDay(date);
  for (let i = 0; i < maxDays; i += 1) {
    day += 1;
    const candidate = fromEpochDay(day);
    if (isWorkingDay(candidate, closures)) return candidate;
  }
  return null;
}

/**
 * True when `instant`, read as wall time in `zone`, falls on a working day at or after `from` and
 * strictly before `to` ('HH:MM', local). Used so that emails go out in office hours.
 */
export function isWithinWorkingHours(
  instant: string | Date,
  zone: string,
  from = '08:00',
  to = '18:00',
  closures: readonly Closure[] = [],
): boolean {
  const local = toZoned(instant, zone);
  const date = local.toISODate()!;
  if (!isWorkingDay(date, closures)) return false;
  const minutes = local.hour * 60 + local.minute + local.second / 60;
  return minutes >= parseTime(from) && minutes < parseTime(to);
}

/**
 * `instant` itself if it is within working hours in `zone`, else the start (`from`, local) of the
 * next working window, as an ISO instant with the zone's offset. Across clock changes `from` is
 * still local wall time (08:00 GMT in winter, 08:00 BST in summer).
 */
export function nextWorkingInstant(
  instant: string | Date,
  zone: string,
  from = '08:00',
  to = '18:00',
  closures: readonly Closure[] = [],
): string {
  const local = toZoned(instant, zone);
  if (isWithinWorkingHours(local.toISO()!, zone, from, to, closures)) return isoInstant(local);
  const startMinutes = parseTime(from);
  const date = local.toISODate()!;
  const beforeOpening = local.hour * 60 + local.minute < startMinutes;
  const day = beforeOpening && isWorkingDay(date, closures) ? date : nextWorkingDay(date, closures);
  if (day === null) throw new RangeError(`no working day within a year after ${date}`);
  const { year, month, day: dayOfMonth } = parseDate(day);
  const opening = DateTime.fromObject(
    { year, month, day: dayOfMonth, hour: Math.floor(startMinutes / 60), minute: startMinutes % 60 },
    { zone },
  );
  return isoInstant(opening);
}

/** ISO instant with the zone's offset and no milliseconds when they are zero. */
export function isoInstant(value: DateTime): string {
  return value.toISO({ suppressMilliseconds: true })!;
}

/** 'HH:MM' (00:00-23:59) -> minutes after midnight. */
export function parseTime(value: string): number {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(value);
  if (!match) throw new AppError('invalid-input', `"${value}" is not a time of day HH:MM (00:00 to 23:59)`);
  return Number(match[1]) * 60 + Number(match[2]);
}

const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True for a real calendar date written 'YYYY-MM-DD' (so 2027-02-29 is false). */
export function isIsoDate(value: string): boolean {
  const match = DATE_PATTERN.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

function parseDate(value: string): { year: number; month: number; day: number } {
  if (!isIsoDate(value)) throw new AppError('invalid-input', `"${value}" is not a date YYYY-MM-DD`);
  return {
    year: Number(value.slice(0, 4)),
    month: Number(value.slice(5, 7)),
    day: Number(value.slice(8, 10)),
  };
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Days since 1970-01-01 (pure integer arithmetic: no Date object, no zone). */
export function toEpochDay(date: string): number {
  const { year, month, day } = parseDate(date);
  // Howard Hinnant's days_from_civil.
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Inverse of toEpochDay. */
export function fromEpochDay(epochDay: number): string {
  const z = epochDay + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** `date` plus `days` calendar days. */
export function addDays(date: string, days: number): string {
  return fromEpochDay(toEpochDay(date) + days);
}

/** ISO weekday of a date: 1 = Monday ... 7 = Sunday (1970-01-01 was a Thursday). */
export function weekdayOf(date: string): number {
  return ((((toEpochDay(date) + 3) % 7) + 7) % 7) + 1;
}

// ---------------------------------------------------------------------------------------------
// Zone offsets, fast: luxon asks Intl for every offset (~15-50 us each), which dominated planning.
// Offsets are looked up in per-zone tables of transitions, built 64 days at a time by daily
// sampling and a bisection to the second (no zone changes its offset twice within a day).

const DAY_MS = 86_400_000;
const BUCKET_MS = 64 * DAY_MS;
const offsetTables = new Map<string, Array<{ from: number; offset: number }>>();

function offsetTable(zone: IANAZone, bucket: number): Array<{ from: number; offset: number }> {
  const key = `${zone.name}|${bucket}`;
  const cached = offsetTables.get(key);
  if (cached) return cached;
  const start = bucket * BUCKET_MS;
  let previous = zone.offset(start);
  const table = [{ from: start, offset: previous }];
  for (let t = start + DAY_MS; t <= start + BUCKET_MS; t += DAY_MS) {
    const offset = zone.offset(t);
    if (offset === previous) continue;
    let lo = t - DAY_MS; // offset(lo) === previous
    let hi = t; // offset(hi) === offset
    while (hi - lo > 1000) {
      const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
      if (zone.offset(mid) === previous) lo = mid;
      else hi = mid;
    }
    table.push({ from: hi, offset });
    previous = offset;
  }
  if (offsetTables.size > 10_000) offsetTables.clear();
  offsetTables.set(key, table);
  return table;
}

/** The UTC offset in minutes of IANA `zone` at the instant `ms` (epoch milliseconds). */
export function zoneOffsetAt(zone: string, ms: number): number {
  const table = offsetTable(IANAZone.create(zone), Math.floor(ms / BUCKET_MS));
  for (let i = table.length - 1; i > 0; i -= 1) if (ms >= table[i]!.from) return table[i]!.offset;
  return table[0]!.offset;
}

/**
 * Epoch milliseconds of wall time `minutes` after midnight of `date` in `zone`. A wall time that
 * does not exist (the skipped hour in spring) or exists twice (autumn) is resolved as luxon does.
 */
export function localInstant(zone: string, date: string, minutes: number): number {
  const local = toEpochDay(date) * DAY_MS + minutes * 60_000;
  const guess = zoneOffsetAt(zone, local);
  const settled = zoneOffsetAt(zone, local - guess * 60_000);
  if (settled === guess) return local - guess * 60_000;
  // Near a clock change: let luxon apply its documented rule for gaps and overlaps.
  const { year, month, day } = parseDate(date);
  return DateTime.fromObject(
    { year, month, day, hour: Math.floor(minutes / 60), minute: minutes % 60 },
    { zone },
  ).toMillis();
}

const INSTANT_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

function toZoned(instant: string | Date, zone: string): DateTime {
  if (!IANAZone.isValidZone(zone)) throw new AppError('invalid-input', `Unknown time zone "${zone}"`);
  if (typeof instant !== 'string') return DateTime.fromMillis(instant.getTime(), { zone });
  // Without an explicit offset luxon would read the text in the server's zone: refuse it.
  if (!INSTANT_PATTERN.test(instant)) {
    throw new AppError('invalid-input', `"${instant}" is not an ISO instant with an offset (Z or +01:00)`);
  }
  const parsed = DateTime.fromISO(instant, { setZone: true });
  if (!parsed.isValid) throw new AppError('invalid-input', `"${instant}" is not an ISO instant`);
  return parsed.setZone(zone);
}
