import rrulePackage from 'rrule';
import { fromEpochDay, toEpochDay } from './working-days.ts';

/*
 * Recurrence rules (RFC 5545 RRULE) of a hub's sittings: checked part by part, then expanded to
 * calendar dates. Pure (no clock, no IO). rrule.js has long-standing zone bugs, so the rule is
 * expanded on floating dates only: UTC midnight stands for "this calendar date"; the planner builds
 * every instant in the hub's zone.
 */

const { RRule } = rrulePackage;
type RRuleInstance = InstanceType<typeof RRule>;

// ---------------------------------------------------------------------------------------------
// RRULE checking (rrule.js accepts `BYDAY=XX` and `FREQ=FOO` silently, so we check it ourselves)

const WEEKDAY = '(MO|TU|WE|TH|FR|SA|SU)';

const intList =
  (key: string, min: number, max: number, signed: boolean) =>
  (value: string): string | null => {
    for (const part of value.split(',')) {
      const n = /^[+-]?\d{1,3}$/.test(part) ? Number(part) : Number.NaN;
      if (Number.isNaN(n) || (!signed && n < 0) || Math.abs(n) < min || Math.abs(n) > max) {
        return `${key} "${part}" must be a whole number from ${signed ? `-${max} to -${min} or ` : ''}${min} to ${max}`;
      }
    }
    return null;
  };

const RULE_PARTS: Record<string, (value: string) => string | null> = {
  FREQ: (v) =>
    ['DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY'].includes(v)
      ? null
      : `FREQ=${v} is not supported: use DAILY, WEEKLY, MONTHLY or YEARLY (sittings are whole days)`,
  INTERVAL: (v) => (/^[1-9]\d{0,2}$/.test(v) ? null : 'INTERVAL must be a whole number from 1 to 999'),
  COUNT: (v) => (/^[1-9]\d{0,4}$/.test(v) ? null : 'COUNT must be a positive whole number'),
  UNTIL: (v) => (/^\d{8}(T\d{6}Z?)?$/.test(v) ? null : 'UNTIL must be a date such as 20271231'),
  BYDAY: (v) => {
    for (const part of v.split(',')) {
      const match = new RegExp(`^([+-]?\\d{1,2})?${WEEKDAY}$`).exec(part);
      const n = match?.[1] === undefined ? 1 : Math.abs(Number(match[1]));
      if (!match || n === 0 || n > 53) return `BYDAY "${part}" is not a weekday such as WE, 1TU or -1FR`;
    }
    return null;
  },
  BYMONTHDAY: intList('BYMONTHDAY', 1, 31, true),
  BYMONTH: intList('BYMONTH', 1, 12, false),
  BYSETPOS: intList('BYSETPOS', 1, 366, true),
  BYYEARDAY: intList('BYYEARDAY', 1, 366, true),
  BYWEEKNO: intList('BYWEEKNO', 1, 53, true),
  WKST: (v) => (new RegExp(`^${WEEKDAY}$`).test(v) ? null : 'WKST must be a weekday such as MO'),
};

/**
 * Checks an RRULE (with or without the `RRULE:` prefix) and returns it normalised (no prefix,
 * upper case), or says what is wrong. DTSTART, TZID and BYHOUR-like parts are refused: the first
 * date is `firstSitting`, the time `startTime` and the zone `timezone`.
 */
export function checkRecurrence(
  text: string,
): { kind: 'ok'; rule: string } | { kind: 'invalid'; message: string } {
  const rule = text
    .trim()
    .replace(/^RRULE:/i, '')
    .toUpperCase();
  if (rule === '')
    return { kind: 'invalid', message: 'is empty: write e.g. FREQ=WEEKLY;INTERVAL=2;BYDAY=WE' };
  const seen = new Set<string>();
  for (const part of rule.split(';')) {
    const [key = '', value, ...rest] = part.split('=');
    const check = RULE_PARTS[key];
    if (value === undefined || value === '' || rest.length > 0) {
      return { kind: 'invalid', message: `"${part}" is not a KEY=VALUE part of an RRULE` };
    }
    if (!check) {
      return {
        kind: 'invalid',
        message: `${key} is not supported (the first date is firstSitting, the time startTime, the zone timezone)`,
      };
    }
    if (seen.has(key)) return { kind: 'invalid', message: `${key} is given twice` };
    seen.add(key);
    const problem = check(value);
    if (problem) return { kind: 'invalid', message: problem };
  }
  if (!seen.has('FREQ'))
    return { kind: 'invalid', message: 'needs FREQ, e.g. FREQ=WEEKLY;INTERVAL=2;BYDAY=WE' };
  if (seen.has('COUNT') && seen.has('UNTIL'))
    return { kind: 'invalid', message: 'give COUNT or UNTIL, not both' };
  return { kind: 'ok', rule };
}

// ---------------------------------------------------------------------------------------------
// expansion (rules are built once per rule and first sitting, then asked for dates)

const MS_PER_DAY = 86_400_000;
const floating = (date: string): Date => new Date(toEpochDay(date) * MS_PER_DAY);
const dateOfFloating = (value: Date): string => fromEpochDay(Math.floor(value.getTime() / MS_PER_DAY));

const ruleCache = new Map<string, RRuleInstance>();

function ruleFor(rule: string, firstSitting: string): RRuleInstance {
  const key = `${firstSitting}|${rule}`;
  let built = ruleCache.get(key);
  if (!built) {
    // noCache: rrule.js would otherwise keep every between() result for the life of the process.
    built = new RRule({ ...RRule.parseString(rule), dtstart: floating(firstSitting), tzid: null }, true);
    if (ruleCache.size >= 1000) ruleCache.clear();
    ruleCache.set(key, built);
  }
  return built;
}

/** The rule's first date on or after `firstSitting` (null when UNTIL/COUNT leave none). */
export function firstRuleDate(rule: string, firstSitting: string): string | null {
  const first = ruleFor(rule, firstSitting).after(floating(firstSitting), true);
  return first === null ? null : dateOfFloating(first);
}

/**
 * The rule's raw dates from `from` to `to` inclusive (never before `firstSitting`), chronological
 * and distinct, before any bank holiday or closure is applied. `rule` must pass checkRecurrence.
 */
export function expandRecurrence(rule: string, firstSitting: string, from: string, to: string): string[] {
  const start = from < firstSitting ? firstSitting : from;
  if (start > to) return [];
  const dates = ruleFor(rule, firstSitting).between(floating(start), floating(to), true).map(dateOfFloating);
  return dates.filter((date, i) => i === 0 || date !== dates[i - 1]);
}
