import type { z } from 'zod';
import { AppError, type ErrorCode, type FieldIssue } from './errors.ts';

/** zod issues -> our FieldIssue list, with dotted paths ("requests.0.urgency"). */
export function zodIssues(error: z.ZodError, prefix = ''): FieldIssue[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    const field = [prefix, path].filter(Boolean).join('.') || '(root)';
    return { field, message: issue.message };
  });
}

/**
 * Parses `input` with `schema` or throws an AppError naming every bad field.
 * `what` starts the message, e.g. "hub config".
 */
export function parseOrThrow<S extends z.ZodType>(
  schema: S,
  input: unknown,
  what: string,
  code: ErrorCode = 'invalid-input',
): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = zodIssues(result.error);
  const list = issues.map((i) => `  - ${i.field}: ${i.message}`).join('\n');
  throw new AppError(code, `Invalid ${what}:\n${list}`, { issues });
}
