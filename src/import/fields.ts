import { DateTime } from 'luxon';
import { z } from 'zod';

/*
 * Field parsers shared by the import row schemas. Cells arrive as strings (CSV) or JSON values;
 * each parser accepts both and says in plain words what it expected.
 */

/** Whether luxon can read it; also safe when luxon is set to throw on invalid dates (as in tests). */
function readable(parse: () => DateTime): boolean {
  try {
    return parse().isValid;
  } catch {
    return false;
  }
}

const text = (v: unknown) => (v === undefined || v === null ? undefined : String(v).trim() || undefined);

export const requiredText = (label = 'is required') =>
  z.preprocess(text, z.string({ error: label }).min(1, label));

export const optionalText = () => z.preprocess(text, z.string().optional());

export const integer = (min: number, max: number, label?: string) =>
  z.preprocess(
    (v) => (typeof v === 'number' ? v : text(v) === undefined ? undefined : Number(text(v))),
    z
      .number({ error: label ?? 'is required (a whole number)' })
      .int(label ?? 'must be a whole number')
      .min(min, label ?? `must be at least ${min}`)
      .max(max, label ?? `must be at most ${max}`),
  );

export const yesNo = (fallback?: boolean) =>
  z.preprocess(
    (v) => {
      if (typeof v === 'boolean') return v;
      const t = text(v)?.toLowerCase();
      if (t === undefined) return fallback;
      if (['yes', 'y', 'true', '1'].includes(t)) return true;
      if (['no', 'n', 'false', '0'].includes(t)) return false;
      return t;
    },
    z.boolean({ error: 'must be yes or no' }),
  );

/** `a; b; c` (or a JSON array) -> ['a', 'b', 'c']. */
export const list = <T extends z.ZodType>(item: T) =>
  z.preprocess((v) => {
    if (Array.isArray(v)) return v.map((x) => String(x).trim()).filter(Boolean);
    const t = text(v);
    return t === undefined
      ? []
      : t
          .split(/[;|]/)
          .map((s) => s.trim())
          .filter(Boolean);
  }, z.array(item));

export const email = () => z.string().trim().toLowerCase().email('must be an email address');

export const code = () =>
  z.string().regex(/^[a-z][a-z0-9-]*$/, 'must be a lower-case code such as "west" or "family-support"');

export const localDate = () =>
  z.preprocess(
    text,
    z
      .string({ error: 'is required (a date, YYYY-MM-DD)' })
      .refine((s) => /^\d{4}-\d{2}-\d{2}$/.test(s) && readable(() => DateTime.fromISO(s, { zone: 'UTC' })), {
        message: 'must be a date written YYYY-MM-DD',
      }),
  );

/** An instant with an explicit offset or Z (e.g. 2027-03-01T10:00:00Z); a bare local time is ambiguous. */
export const instant = () =>
  z.preprocess(
    text,
    z
      .string({ error: 'is required (a date and time, e.g. 2027-03-01T10:00:00Z)' })
      .refine(
        (s) => /(Z|[+-]\d{2}:?\d{2})$/.test(s) && readable(() => DateTime.fromISO(s, { setZone: true })),
        {
          message: 'must be a date and time with a zone, e.g. 2027-03-01T10:00:00Z',
        },
      )
      .transform((s) => DateTime.fromISO(s, { setZone: true }).toUTC().toISO() as string),
  );

export const optionalInstant = () => z.preprocess(text, instant().optional());
