/*
 * What of an audit entry's details an admin may see. Services are told to keep details to ids,
 * codes and dates, but the audit log is read-only evidence that outlives any one service's habits,
 * so the viewer does not trust them: it shows only values that cannot be prose (numbers, booleans,
 * dates, codes, references) and hides any value under a key that usually holds free text. A
 * child's name can therefore never reach the page through this view, even if a service slipped one in.
 */

/** The placeholder shown instead of a value that might be free text. */
export const hiddenText = '[text hidden]';

/** Keys whose values are free text or personal details, whatever they look like. */
const proseKey =
  /^(notes?|comments?|text|outcome|description|answers?|body|message|reason_?text|override_?reason|given_?name|family_?name|first_?name|last_?name|child(_?name)?|date_?of_?birth|dob|address|postcode|subject)$/i;

const safeString = [
  /^-?\d+(\.\d+)?$/, // a number as text (entity ids are text)
  /^[a-z0-9]+([._:/@-][a-z0-9]+)*$/, // a code: chair-deferred, proforma-reminder, user:12, family-support
  /^[A-Z0-9]+(-[A-Z0-9]+)+$/, // a reference: EH-2027-0001, FAM-A
  /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$/, // a date or an instant
  /^([01]\d|2[0-3]):[0-5]\d$/, // a local time
  /^(RRULE:)?FREQ=[A-Z]+(;[A-Z]+=[A-Z0-9,+-]+)*$/, // a recurrence rule
  /^[A-Za-z]+\/[A-Za-z_]+(\/[A-Za-z_]+)?$/, // a time zone: Europe/London
];

/** Whether a string can be shown: a code, reference, date, time, rule or zone, never prose. */
export function isSafeString(value: string): boolean {
  return value.length <= 80 && safeString.some((pattern) => pattern.test(value));
}

/** Details with every value that might be free text replaced by `hiddenText` (recursively). */
export function sanitiseDetails(value: unknown, key = '', depth = 0): unknown {
  if (key !== '' && proseKey.test(key)) return value === null ? null : hiddenText;
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'string') return isSafeString(value) ? value : hiddenText;
  if (depth >= 4) return hiddenText;
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => sanitiseDetails(v, '', depth + 1));
  if (typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, sanitiseDetails(v, k, depth + 1)]),
    );
  return hiddenText;
}

/** Sanitised details as `path: value` lines for a page (at most `limit`; arrays joined by commas). */
export function detailLines(details: unknown, limit = 12): Array<{ key: string; value: string }> {
  const lines: Array<{ key: string; value: string }> = [];
  const walk = (value: unknown, path: string) => {
    if (lines.length >= limit) return;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value as Record<string, unknown>))
        walk(v, path ? `${path}.${k}` : k);
      return;
    }
    const text = Array.isArray(value)
      ? value.map((v) => (typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v))).join(', ')
      : String(value);
    lines.push({ key: path || 'value', value: text });
  };
  walk(sanitiseDetails(details), '');
  return lines;
}
