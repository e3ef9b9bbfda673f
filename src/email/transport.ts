import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import nodemailer from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer';
import type { Config } from '../config.ts';
import type { RenderedEmail } from './templates.ts';

/** One rendered message for one recipient, as the dispatcher hands it to a transport. */
export interface OutgoingEmail extends RenderedEmail {
  /** The outbox row; names the `.eml` file in file mode. */
  outboxId: number;
  /** Deterministic per outbox row, with angle brackets: a re-send carries the same one. */
  messageId: string;
  /** Exactly one address. */
  to: string;
  /** The Date header. */
  date: Date;
}

/**
 * What happened to one send. Never thrown: the dispatcher switches on `kind`.
 * - `transient`: a 4xx reply, or the connection failed before the message data went out; retry later.
 * - `permanent`: a 5xx reply to the message (MAIL FROM, RCPT TO, DATA) or a message nodemailer
 *   refuses; never retry.
 * - `uncertain`: the connection was lost after the whole message was handed to the server but
 *   before its reply: it may or may not have been accepted.
 */
export type SendOutcome =
  | { kind: 'sent'; response: string }
  | { kind: 'transient'; error: string; responseCode: number | null }
  | { kind: 'permanent'; error: string; responseCode: number | null }
  | { kind: 'uncertain'; error: string };

export interface EmailTransport {
  readonly kind: 'smtp' | 'file';
  send(email: OutgoingEmail): Promise<SendOutcome>;
  /** Closes pooled connections; sends already under way finish first. */
  close(): Promise<void>;
}

export interface SmtpTransportOptions {
  /** Parallel SMTP connections in the pool (default 3). */
  maxConnections?: number;
  /** At most `rateLimit` messages per `rateDeltaMs` across the pool (default 10 per 1000 ms). */
  rateLimit?: number;
  rateDeltaMs?: number;
  /** Milliseconds (defaults 30 s, 30 s, 60 s). */
  connectionTimeoutMs?: number;
  greetingTimeoutMs?: number;
  socketTimeoutMs?: number;
}

// Automatic emails: ask auto-responders (out-of-office) not to answer them.
const automaticHeaders = { 'Auto-Submitted': 'auto-generated', 'X-Auto-Response-Suppress': 'All' };

function mailOptions(from: string, email: OutgoingEmail): Mail.Options {
  return {
    from,
    to: email.to,
    subject: email.subject,
    text: email.text,
    html: email.html,
    messageId: email.messageId,
    date: email.date,
    headers: automaticHeaders,
    ...(email.icalEvent === undefined ? {} : { icalEvent: email.icalEvent }),
  };
}

/** SMTP commands whose 5xx reply refuses this message (rather than our login or connection). */
const messageCommands = new Set(['MAIL FROM', 'RCPT TO', 'DATA']);

/**
 * Sorts a nodemailer error into transient / permanent / uncertain. `dataSent` is true when the
 * whole message had been handed to the server when the error came.
 * A 5xx to AUTH or EHLO is our configuration, not the message: transient, so mail flows again once
 * an admin fixes it (until each row's give-up time).
 */
export function classifySendError(error: unknown, dataSent: boolean): Exclude<SendOutcome, { kind: 'sent' }> {
  const e = (typeof error === 'object' && error !== null ? error : {}) as {
    responseCode?: unknown;
    code?: unknown;
    command?: unknown;
    message?: unknown;
  };
  const message = (typeof e.message === 'string' ? e.message : String(error)).slice(0, 1000);
  const responseCode = typeof e.responseCode === 'number' ? e.responseCode : null;
  if (responseCode !== null && responseCode >= 500) {
    const aboutMessage =
      messageCommands.has(String(e.command)) || e.code === 'EENVELOPE' || e.code === 'EMESSAGE';
    return aboutMessage
      ? { kind: 'permanent', error: message, responseCode }
      : { kind: 'transient', error: message, responseCode };
  }
  if (responseCode !== null && responseCode >= 400)
    return { kind: 'transient', error: message, responseCode };
  // No reply code: nodemailer refused the message itself (bad address, empty message).
  if (e.code === 'EENVELOPE' || e.code === 'EMESSAGE')
    return { kind: 'permanent', error: message, responseCode };
  if (dataSent) return { kind: 'uncertain', error: message };
  return { kind: 'transient', error: message, responseCode };
}

interface SmtpEndpoint {
  host: string;
  port: number | undefined;
  secure: boolean;
  auth: { user: string; pass: string } | undefined;
  ignoreTLS: boolean;
  requireTLS: boolean;
}

/** smtp://user:pass@host:port or smtps://...; `?requireTLS=true` / `?ignoreTLS=true` are honoured. */
export function parseSmtpUrl(url: string): SmtpEndpoint {
  const u = new URL(url);
  const flag = (name: string) => u.searchParams.get(name) === 'true';
  return {
    host: u.hostname,
    port: u.port === '' ? undefined : Number(u.port),
    secure: u.protocol === 'smtps:',
    auth:
      u.username === ''
        ? undefined
        : { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) },
    ignoreTLS: flag('ignoreTLS'),
    requireTLS: flag('requireTLS'),
  };
}

/**
 * Pooled SMTP with a rate limit. Knows whether a failed message's data had gone out: it keeps the
 * message stream nodemailer writes to the socket (a `stream` plugin), and a stream read to its end
 * means the server had the whole message when the connection failed.
 */
export function createSmtpTransport(
  url: string,
  from: string,
  options: SmtpTransportOptions = {},
): EmailTransport {
  const endpoint = parseSmtpUrl(url);
  const transporter = nodemailer.createTransport({
    pool: true,
    host: endpoint.host,
    port: endpoint.port,
    secure: endpoint.secure,
    auth: endpoint.auth,
    ignoreTLS: endpoint.ignoreTLS,
    requireTLS: endpoint.requireTLS,
    maxConnections: options.maxConnections ?? 3,
    maxMessages: 100,
    rateLimit: options.rateLimit ?? 10,
    rateDelta: options.rateDeltaMs ?? 1000,
    connectionTimeout: options.connectionTimeoutMs ?? 30_000,
    greetingTimeout: options.greetingTimeoutMs ?? 30_000,
    socketTimeout: options.socketTimeoutMs ?? 60_000,
  });
  const streams = new Map<string, Readable>();
  transporter.use('stream', (mail, done) => {
    const key = String(mail.data.messageId);
    const message = mail.message;
    const original = message.createReadStream.bind(message);
    // The pool may call it again to resend over another connection: keep the latest stream.
    message.createReadStream = (...args: Parameters<typeof original>) => {
      const stream = original(...args);
      streams.set(key, stream);
      return stream;
    };
    done();
  });
  return {
    kind: 'smtp',
    async send(email) {
      try {
        const info = await transporter.sendMail(mailOptions(from, email));
        return { kind: 'sent', response: String(info.response ?? '') };
      } catch (error) {
        return classifySendError(error, streams.get(email.messageId)?.readableEnded === true);
      } finally {
        streams.delete(email.messageId);
      }
    },
    async close() {
      transporter.close();
    },
  };
}

/**
 * Writes each message as `<dir>/outbox-<outboxId>.eml` (written to a temporary name, then renamed,
 * so a reader never sees half a file; a re-send replaces the file). Used when no SMTP is configured.
 */
export function createFileTransport(dir: string, from: string): EmailTransport {
  const composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  return {
    kind: 'file',
    async send(email) {
      try {
        const info = await composer.sendMail(mailOptions(from, email));
        await mkdir(dir, { recursive: true });
        const file = path.join(dir, `outbox-${email.outboxId}.eml`);
        const temporary = `${file}.${process.pid}.tmp`;
        await writeFile(temporary, info.message as Buffer);
        await rename(temporary, file);
        return { kind: 'sent', response: `written to ${file}` };
      } catch (error) {
        return {
          kind: 'transient',
          error: error instanceof Error ? error.message : String(error),
          responseCode: null,
        };
      }
    },
    async close() {},
  };
}

/** SMTP when `config.smtpUrl` is set, else `.eml` files in `<dataDir>/outbox`. */
export function createEmailTransport(
  config: Pick<Config, 'smtpUrl' | 'mailFrom' | 'dataDir'>,
  options: SmtpTransportOptions = {},
): EmailTransport {
  return config.smtpUrl === null
    ? createFileTransport(path.join(config.dataDir, 'outbox'), config.mailFrom)
    : createSmtpTransport(config.smtpUrl, config.mailFrom, options);
}
