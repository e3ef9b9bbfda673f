import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '../schema/database.ts';
import { mintSignInLink } from '../src/auth/sign-in.service.ts';
import { type DispatchCounts, dispatchDue } from '../src/email/outbox.service.ts';
import type { EmailTransport } from '../src/email/transport.ts';
import { mintProformaLink } from '../src/proformas/chase.repository.ts';
import type { JobDefinition } from '../src/queue/job.ts';

const payload = z.strictObject({ v: z.literal(1) });

/**
 * One dispatcher pass with the link minters wired in: proforma and sign-in links are minted as each
 * email goes out, so no raw token is ever stored. (Tests call this too.)
 */
export function dispatchOutbox(
  db: Kysely<Database>,
  transport: EmailTransport,
  options: { now: Date; publicBaseUrl: string },
): Promise<DispatchCounts> {
  return dispatchDue(db, transport, {
    now: options.now,
    proformaLinks: { publicBaseUrl: options.publicBaseUrl, mint: mintProformaLink },
    signInLinks: { publicBaseUrl: options.publicBaseUrl, mint: mintSignInLink },
  });
}

/**
 * The outbox dispatcher: sends what is due. The payload carries nothing: the outbox rows in
 * PostgreSQL say what to send, claimed with FOR UPDATE SKIP LOCKED so passes never overlap.
 */
export const sendEmailJob: JobDefinition<z.output<typeof payload>> = {
  name: 'send-email',
  queue: 'email',
  payload,
  process: async (ctx) => {
    const counts = await dispatchOutbox(ctx.db, ctx.transport, {
      now: ctx.now(),
      publicBaseUrl: ctx.config.publicBaseUrl,
    });
    return { ...counts };
  },
};
