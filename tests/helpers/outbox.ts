import type { Kysely } from 'kysely';
import { dispatchOutbox } from '../../jobs/send-email.ts';
import type { Database } from '../../schema/database.ts';
import type { EmailTransport, OutgoingEmail } from '../../src/email/transport.ts';

/** Sends every due email through the real dispatcher (links minted as in production) and returns them. */
export async function deliverDueEmails(
  db: Kysely<Database>,
  options: { now: Date; publicBaseUrl: string },
): Promise<OutgoingEmail[]> {
  const sent: OutgoingEmail[] = [];
  const transport: EmailTransport = {
    kind: 'file',
    send: async (email) => {
      sent.push(email);
      return { kind: 'sent', response: '250 kept' };
    },
    close: async () => {},
  };
  await dispatchOutbox(db, transport, options);
  return sent;
}

/** The sign-in token in an email's text, or undefined. */
export function signInToken(email: OutgoingEmail | undefined): string | undefined {
  return /\/sign-in\/([A-Za-z0-9_-]{43})/.exec(email?.text ?? '')?.[1];
}
