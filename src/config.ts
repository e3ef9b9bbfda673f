import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import path from 'node:path';
import { IANAZone } from 'luxon';
import { z } from 'zod';
import { AppError } from './errors.ts';
import { zodIssues } from './validation.ts';

/**
 * The service's settings, read from the environment once at start-up and frozen.
 * Nothing else in the code base reads `process.env`.
 */
export interface Config {
  /** PostgreSQL URL, or null for embedded PGlite in `dataDir/data`. */
  databaseUrl: string | null;
  /** Redis URL, or null to run the job processors in-process. */
  redisUrl: string | null;
  /** SMTP URL (smtp:// or smtps://), or null to write `.eml` files to `dataDir/outbox`. */
  smtpUrl: string | null;
  /** Sender address of every email. */
  mailFrom: string;
  /** Base of every link in an email, e.g. https://earlyhelp.example.gov.uk */
  publicBaseUrl: string;
  /** Signs session cookies and CSRF tokens; at least 32 characters in production. */
  sessionSecret: string;
  /** The council's IANA time zone: sittings, working hours and reminders are planned in it. */
  timezone: string;
  /** Folder for embedded data and the file outbox. */
  dataDir: string;
  port: number;
  /**
   * Which proxies in front may tell the client's address (X-Forwarded-For), as Fastify's
   * `trustProxy`: false (none), true (any), a number of hops, or addresses and CIDR ranges.
   */
  trustProxy: boolean | number | string[];
  /** Memory for remembered pages and API reads (src/web/page-cache.ts); 0 turns it off. */
  pageCacheBytes: number;
  production: boolean;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

const optionalUrl = (protocols: string[]) =>
  z
    .string()
    .trim()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return null;
      if (!URL.canParse(v)) {
        ctx.addIssue({ code: 'custom', message: 'is not a valid URL' });
        return z.NEVER;
      }
      if (!protocols.includes(new URL(v).protocol)) {
        ctx.addIssue({
          code: 'custom',
          message: `must start with ${protocols.map((p) => `${p}//`).join(' or ')}`,
        });
        return z.NEVER;
      }
      return v;
    });

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  DATABASE_URL: optionalUrl(['postgres:', 'postgresql:']),
  REDIS_URL: optionalUrl(['redis:', 'rediss:']),
  SMTP_URL: optionalUrl(['smtp:', 'smtps:']),
  MAIL_FROM: z.string().trim().default('Early Help Allocations Hub <early-help-hub@localhost>'),
  PUBLIC_BASE_URL: z
    .string()
    .trim()
    .optional()
    .transform((v) => (v === '' ? undefined : v))
    .refine(
      (v) => v === undefined || (URL.canParse(v) && /^https?:$/.test(new URL(v).protocol)),
      'must be an http(s) URL',
    )
    .transform((v) => v?.replace(/\/+$/, '')),
  SESSION_SECRET: z.string().optional(),
  HUB_TIMEZONE: z
    .string()
    .default('Europe/London')
    .refine((v) => IANAZone.isValidZone(v), 'is not a known IANA time zone (e.g. Europe/London)'),
  HUB_DATA_DIR: z.string().default('.hub'),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  TRUST_PROXY: z
    .string()
    .trim()
    .default('false')
    .transform((v, ctx) => {
      if (v === 'false' || v === '') return false;
      if (v === 'true') return true;
      if (/^\d+$/.test(v)) return Number(v);
      const list = v.split(',').map((s) => s.trim());
      const bad = list.find((s) => {
        const [ip, bits, ...rest] = s.split('/');
        const family = isIP(ip ?? '');
        const maxBits = family === 6 ? 128 : 32;
        return (
          family === 0 ||
          rest.length > 0 ||
          (bits !== undefined && !(/^\d+$/.test(bits) && Number(bits) <= maxBits))
        );
      });
      if (bad !== undefined) {
        ctx.addIssue({
          code: 'custom',
          message: `must be false, true, a number of hops or addresses/CIDR ranges separated by commas ("${bad}" is none of these)`,
        });
        return z.NEVER;
      }
      return list;
    }),
  PAGE_CACHE_MB: z.coerce.number().int().min(0).max(4096).default(64),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/**
 * Reads and validates the environment. Throws AppError('invalid-config') naming every bad variable.
 * `env` defaults to the process environment; tests pass their own.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Readonly<Config> {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issues = zodIssues(parsed.error);
    throw new AppError(
      'invalid-config',
      `The service cannot start: ${issues.map((i) => `${i.field} ${i.message}`).join('; ')}`,
      { issues },
    );
  }
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';
  if (production && (e.SESSION_SECRET === undefined || e.SESSION_SECRET.length < 32)) {
    throw new AppError(
      'invalid-config',
      'The service cannot start: SESSION_SECRET must be set to at least 32 random characters in production',
      { issues: [{ field: 'SESSION_SECRET', message: 'must be at least 32 characters in production' }] },
    );
  }
  return Object.freeze({
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    smtpUrl: e.SMTP_URL,
    mailFrom: e.MAIL_FROM,
    // Unset: links point at this machine on its own port (the embedded default).
    publicBaseUrl: e.PUBLIC_BASE_URL ?? `http://localhost:${e.PORT}`,
    // Outside production a per-process secret is fine: sessions simply end on restart.
    sessionSecret: e.SESSION_SECRET ?? randomBytes(32).toString('hex'),
    timezone: e.HUB_TIMEZONE,
    dataDir: path.resolve(e.HUB_DATA_DIR),
    port: e.PORT,
    trustProxy: e.TRUST_PROXY,
    pageCacheBytes: e.PAGE_CACHE_MB * 1024 * 1024,
    production,
    logLevel: e.LOG_LEVEL,
  });
}
