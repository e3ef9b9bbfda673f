/**
 * The one error type of the service. Codes are transport-independent; the edges map them:
 * HTTP -> problem+json status, CLI -> exit code 2 for bad input, jobs -> retry or give up.
 */
export type ErrorCode =
  | 'invalid-input' // a field, row or option is wrong; nothing was written
  | 'invalid-config' // environment or config file is wrong; the process should not start
  | 'not-found' // also used for "exists but not yours" so scoping leaks nothing
  | 'conflict' // unique key taken, stale state, last place already allocated
  | 'forbidden'
  | 'unauthenticated'
  | 'unavailable' // a dependency (database, Redis, SMTP) is down; worth retrying
  | 'internal';

/** One problem with one field (and, for imports, one row). */
export interface FieldIssue {
  /** Dotted path of the field, e.g. `requests.3.urgency` or a CSV column name. */
  field: string;
  message: string;
  /** 1-based row number for file imports (header is row 1, first data row is row 2). */
  row?: number;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly issues: FieldIssue[];

  constructor(code: ErrorCode, message: string, options: { issues?: FieldIssue[]; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.issues = options.issues ?? [];
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}

/** Formats issues one per line for people: "row 4, column URN: must be 6 digits". */
export function describeIssues(issues: FieldIssue[]): string {
  return issues
    .map((i) => (i.row === undefined ? `${i.field}: ${i.message}` : `row ${i.row}, ${i.field}: ${i.message}`))
    .join('\n');
}
