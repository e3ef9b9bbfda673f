import { AppError, type FieldIssue } from '../errors.ts';

/*
 * The database's constraints are the last word on consistency (a school user has a school, an
 * agency never has more active cases than places...). When one refuses a change, the admin should
 * see which field to fix, exactly as for a zod issue. Both engines (pg and PGlite) report the
 * SQLSTATE in `code` and the constraint's name in `constraint`.
 */

/** SQLSTATEs a refused write can carry. */
const refusals = new Set(['23505', '23514', '23503', '23502']);

/** The constraint a database error names, when it is a refused write; else null. */
export function refusedConstraint(error: unknown): string | null {
  if (typeof error !== 'object' || error === null) return null;
  const { code, constraint } = error as { code?: unknown; constraint?: unknown };
  if (typeof code !== 'string' || !refusals.has(code) || typeof constraint !== 'string') return null;
  return constraint;
}

/**
 * Runs `work`; when the database refuses it with a constraint listed in `fields`, throws
 * AppError('invalid-input') naming that field (nothing was written: the transaction rolls back).
 * Other errors pass through unchanged.
 */
export async function mapRefusal<T>(
  work: () => Promise<T>,
  fields: Record<string, FieldIssue>,
  what: string,
): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const constraint = refusedConstraint(error);
    const issue = constraint === null ? undefined : fields[constraint];
    if (issue === undefined) throw error;
    throw new AppError('invalid-input', `The ${what} was not saved: ${issue.field} ${issue.message}`, {
      issues: [issue],
      cause: error,
    });
  }
}
