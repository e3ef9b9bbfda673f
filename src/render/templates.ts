import { fileURLToPath } from 'node:url';
import { DateTime } from 'luxon';
import nunjucks from 'nunjucks';
import { rememberStrings } from './remembered.ts';
import { exportedMacro, rememberMacro } from './remembered-macros.ts';

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
 * Global `remembered`: GOV.UK components whose output is remembered by params, for pages that call
 * them many times (`remembered.govukTag({...})`, see remembered-macros.ts); same HTML as the macros.
 */
export function templates(): nunjucks.Environment {
  if (shared) return shared;
  const env = new nunjucks.Environment(new nunjucks.FileSystemLoader([templatesDir, govukTemplatesDir]), {
    autoescape: true,
    throwOnUndefined: false,
  });
  const formatDateTime = (value: Date | string, zone: string, format: string) => {
    const dt = value instanceof Date ? DateTime.fromJSDate(value) : DateTime.fromISO(value);
    return dt.setZone(zone).toFormat(format).replace('AM', 'am').replace('PM', 'pm');
  };
  const formatTime = (value: Date | string, zone: string) => {
    const dt = value instanceof Date ? DateTime.fromJSDate(value) : DateTime.fromISO(value);
    return dt.setZone(zone).toFormat('HH:mm');
  };
  const formatDate = (value: string, format: string) =>
    DateTime.fromISO(value, { zone: 'UTC' }).toFormat(format);
  // Formatting is pure and costly (Intl look-ups), and a page shows the same instants over and over:
  // results are remembered by value, zone and format. Anything unusual (an invalid Date, a zone that
  // is not a string) is formatted afresh, so errors and edge cases stay exactly as luxon has them.
  const instantKey = (value: unknown): string | null =>
    value instanceof Date
      ? Number.isNaN(value.getTime())
        ? null
        : `d${value.getTime()}`
      : typeof value === 'string'
        ? `s${value}`
        : null;
  const fromKey = (key: string): Date | string =>
    key[0] === 'd' ? new Date(Number(key.slice(1))) : key.slice(1);
  const rememberedDateTime = rememberStrings((key: string, zone: string, format: string) =>
    formatDateTime(fromKey(key), zone, format),
  );
  const rememberedTime = rememberStrings((key: string, zone: string) => formatTime(fromKey(key), zone));
  const rememberedDate = rememberStrings(formatDate);
  env.addFilter(
    'localDateTime',
    (value: Date | string, zone = 'Europe/London', format = 'cccc d LLLL yyyy, h:mma') => {
      const key = instantKey(value);
      return key !== null && typeof zone === 'string' && typeof format === 'string'
        ? rememberedDateTime(key, zone, format)
        : formatDateTime(value, zone, format);
    },
  );
  env.addFilter('localTime', (value: Date | string, zone = 'Europe/London') => {
    const key = instantKey(value);
    return key !== null && typeof zone === 'string' ? rememberedTime(key, zone) : formatTime(value, zone);
  });
  env.addFilter('localDate', (value: string, format = 'cccc d LLLL yyyy') =>
    typeof value === 'string' && typeof format === 'string'
      ? rememberedDate(value, format)
      : formatDate(value, format),
  );
  const component = (name: string, macro: string) =>
    rememberMacro(() => exportedMacro(env, `govuk/components/${name}/macro.njk`, macro));
  env.addGlobal('remembered', {
    govukTag: component('tag', 'govukTag'),
    govukSummaryList: component('summary-list', 'govukSummaryList'),
    govukInsetText: component('inset-text', 'govukInsetText'),
    govukButton: component('button', 'govukButton'),
    govukGenericHeader: component('generic-header', 'govukGenericHeader'),
    govukServiceNavigation: component('service-navigation', 'govukServiceNavigation'),
    govukPhaseBanner: component('phase-banner', 'govukPhaseBanner'),
    govukBackLink: component('back-link', 'govukBackLink'),
  });
  shared = env;
  return env;
}

/** Renders `name` (relative to templates/, e.g. `email/proforma-request.txt.njk`). */
export function render(name: string, context: Record<string, unknown>): string {
  return templates().render(name, context);
}
