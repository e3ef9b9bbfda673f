import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * The service's structured logger (JSON lines on stderr). Log ids, references, counts and codes
 * only: never a child's or parent's name, date of birth or address, nor a token or email body.
 */
export function createLogger(level: string, name = 'hub'): Logger {
  return pino(
    { name, level, redact: { paths: ['*.token', '*.password', '*.to', '*.params'], censor: '[redacted]' } },
    pino.destination(2),
  );
}

/** A logger that drops everything (tests, `--json` commands). */
export const silentLogger: Logger = pino({ level: 'silent' });
