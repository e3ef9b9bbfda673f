import { describe, expect, it } from 'vitest';
import { mailDomain, messageIdFor, nextAttemptAt } from '../../src/email/outbox.service.ts';
import { classifySendError, parseSmtpUrl } from '../../src/email/transport.ts';

/** An error shaped like nodemailer's. */
const smtpError = (fields: { responseCode?: number; code?: string; command?: string }) =>
  Object.assign(new Error('boom'), fields);

describe('classifySendError', () => {
  it('retries 4xx replies, whatever the command', () => {
    for (const [responseCode, command] of [
      [421, 'CONN'],
      [451, 'RCPT TO'],
      [452, 'DATA'],
    ] as const) {
      expect(classifySendError(smtpError({ responseCode, command, code: 'EENVELOPE' }), true).kind).toBe(
        'transient',
      );
    }
  });

  it('never retries a 5xx refusal of the message', () => {
    expect(
      classifySendError(smtpError({ responseCode: 550, command: 'RCPT TO', code: 'EENVELOPE' }), false),
    ).toEqual({
      kind: 'permanent',
      error: 'boom',
      responseCode: 550,
    });
    expect(
      classifySendError(smtpError({ responseCode: 552, command: 'DATA', code: 'EMESSAGE' }), true).kind,
    ).toBe('permanent');
  });

  it('treats a 5xx to our login as configuration to fix, so the mail waits rather than fails', () => {
    expect(
      classifySendError(smtpError({ responseCode: 535, command: 'AUTH PLAIN', code: 'EAUTH' }), false).kind,
    ).toBe('transient');
  });

  it('a connection lost after the whole message went out is uncertain; before that, transient', () => {
    const lost = smtpError({ code: 'ECONNECTION', command: 'CONN' });
    expect(classifySendError(lost, true).kind).toBe('uncertain');
    expect(classifySendError(lost, false).kind).toBe('transient');
    expect(classifySendError(smtpError({ code: 'ETIMEDOUT', command: 'CONN' }), true).kind).toBe('uncertain');
  });

  it('a message nodemailer itself refuses (no reply code) is permanent', () => {
    expect(classifySendError(smtpError({ code: 'EENVELOPE', command: 'API' }), false).kind).toBe('permanent');
  });
});

describe('nextAttemptAt', () => {
  const now = new Date('2027-03-22T09:00:00Z');
  const nextAt = (attempts: number, giveUpAt: Date | null = null) =>
    nextAttemptAt(attempts, now, giveUpAt)?.getTime() ?? null;

  it('backs off exponentially from 1 minute, at most 1 hour apart', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => ((nextAt(n) as number) - now.getTime()) / 1000);
    expect(delays).toEqual([60, 120, 240, 480, 960, 1920, 3600, 3600]);
  });

  it('gives up when the next attempt would not come before the give-up time', () => {
    expect(nextAt(2, new Date(now.getTime() + 121_000))).toBe(now.getTime() + 120_000);
    expect(nextAt(2, new Date(now.getTime() + 120_000))).toBeNull();
  });

  it('without a give-up time, gives up after 10 attempts', () => {
    expect(nextAt(9)).not.toBeNull();
    expect(nextAt(10)).toBeNull();
  });
});

describe('Message-IDs', () => {
  it('are the same for the same idempotency key, different for another, in the sender’s domain', () => {
    const from = 'Early Help Allocations Hub <hub@EarlyHelp.example.gov.uk>';
    const a = messageIdFor('proforma-reminder:12:3:1', from);
    expect(a).toBe(messageIdFor('proforma-reminder:12:3:1', from));
    expect(a).not.toBe(messageIdFor('proforma-reminder:12:3:2', from));
    expect(a).toMatch(/^<outbox-[0-9a-f]{24}@earlyhelp\.example\.gov\.uk>$/);
  });

  it('take the domain from a bare address too, and fall back to localhost', () => {
    expect(mailDomain('hub@council.example')).toBe('council.example');
    expect(mailDomain('Hub')).toBe('localhost');
  });
});

describe('parseSmtpUrl', () => {
  it('reads host, port, TLS and URL-encoded credentials', () => {
    expect(parseSmtpUrl('smtps://mailer%40council:p%2Fss@smtp.example.org:465?requireTLS=true')).toEqual({
      host: 'smtp.example.org',
      port: 465,
      secure: true,
      auth: { user: 'mailer@council', pass: 'p/ss' },
      ignoreTLS: false,
      requireTLS: true,
    });
    expect(parseSmtpUrl('smtp://127.0.0.1:2525')).toMatchObject({
      port: 2525,
      secure: false,
      auth: undefined,
    });
  });
});
