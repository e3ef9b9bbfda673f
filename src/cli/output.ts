import { AppError, describeIssues, isAppError } from '../errors.ts';

/** Options every command accepts. */
export interface OutputOptions {
  json?: boolean;
}

/** Prints `value` as JSON when --json, else the human text (a string or lines). */
export function print(options: OutputOptions, value: unknown, human: () => string | string[]): void {
  if (options.json) {
    process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    return;
  }
  const text = human();
  process.stdout.write(`${Array.isArray(text) ? text.join('\n') : text}\n`);
}

/**
 * Maps an error to the CLI edge: bad input or config -> exit code 2 with every issue listed;
 * anything else -> exit code 1. With --json the error is also printed as JSON on stdout.
 */
export function fail(error: unknown, options: OutputOptions): never {
  const appError = isAppError(error)
    ? error
    : new AppError('internal', error instanceof Error ? error.message : String(error), { cause: error });
  const code = appError.code === 'invalid-input' || appError.code === 'invalid-config' ? 2 : 1;
  if (options.json) {
    process.stdout.write(
      `${JSON.stringify({ error: { code: appError.code, message: appError.message, issues: appError.issues } }, null, 2)}\n`,
    );
  }
  const detail =
    appError.issues.length > 0 && !appError.message.includes(appError.issues[0]?.message ?? '\0')
      ? `\n${describeIssues(appError.issues)}`
      : '';
  process.stderr.write(`Error: ${appError.message}${detail}\n`);
  if (code === 1 && !isAppError(error) && error instanceof Error && error.stack) {
    process.stderr.write(`${error.stack}\n`);
  }
  process.exit(code);
}

/** Wraps a command action so every failure goes through `fail`. */
export function action<A extends unknown[]>(
  run: (...args: A) => Promise<void> | void,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    // commander passes (args..., options, command); options is the second to last.
    const options = (args.at(-2) ?? {}) as OutputOptions;
    try {
      await run(...args);
    } catch (error) {
      fail(error, options);
    }
  };
}
