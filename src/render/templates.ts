import { fileURLToPath } from 'node:url';
import { DateTime } from 'luxon';
import nunjucks from 'nunjucks';

/** Root of the project's nunjucks templates: `email/`, `pages/`, `agenda/`. */
export const templatesDir = fileURLToPath(new URL('../../templates/', import.meta.url));
/** GOV.UK Frontend's own nunjucks macros (`govuk/components/...`), served from the npm package. */
export const govukTemplatesDir = fileURLToPath(
  new URL('../../node_modules/govuk-frontend/dist/', import.meta.url),
);

let shared: nunjucks.Environment | undefined;

/**
 * The one nunjucks environment (autoescaped HTML). Filters shared by emails, pages and agendas:
 * - `localDateTime(iso, zone, format)`: an instant shown in the council's zone, e.g. "Wednesday 31 March 2027, 9:30am".
 * - `localDate(yyyy-mm-dd)`: a calendar day shown as "Wednesday 31 March 2027".
 */
export function templates(): nunjucks.Environment {
  if (shared) return shared;
  const env = new nunjucks.Environment(new nunjucks.FileSystemLoader([templatesDir, govukTemplatesDir]), {
    autoescape: true,
    throwOnUndefined: false,
  });
  env.addFilter(
    'localDateTime',
    (value: Date | string, zone = 'Europe/London', format = 'cccc d LLLL yyyy, h:mma') => {
      const dt = value instanceof Date ? DateTime.fromJSDate(value) : DateTime.fromISO(value);
      return dt.setZone(zone).toFormat(format).replace('AM', 'am').replace('PM', 'pm');
    },
  );
  env.addFilter('localTime', (value: Date | string, zone = 'Europe/London') => {
    const dt = value instanceof Date ? DateTime.fromJSDate(value) : DateTime.fromISO(value);
    return dt.setZone(zone).toFormat('HH:mm');
  });
  env.addFilter('localDate', (value: string, format = 'cccc d LLLL yyyy') =>
    DateTime.fromISO(value, { zone: 'UTC' }).toFormat(format),
  );
  shared = env;
  return env;
}

/** Renders `name` (relative to templates/, e.g. `email/proforma-request.txt.njk`). */
export function render(name: string, context: Record<string, unknown>): string {
  return templates().render(name, context);
}
