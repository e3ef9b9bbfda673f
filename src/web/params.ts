import { AppError } from '../errors.ts';

/** A positive integer id from a path parameter; anything else is not-found (a bad id names no page). */
export function idParam(params: unknown, name = 'id'): number {
  const raw = (params as Record<string, unknown> | undefined)?.[name];
  const id = typeof raw === 'string' && /^[1-9][0-9]{0,9}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(id) || id > 2147483647)
    throw new AppError('not-found', `No page for ${name} ${String(raw)}`);
  return id;
}

/** A token from a path parameter (at most 100 characters), or '' (which no lookup matches). */
export function tokenParam(params: unknown): string {
  const raw = (params as Record<string, unknown> | undefined)?.token;
  return typeof raw === 'string' && raw.length <= 100 ? raw : '';
}
