import { z } from 'zod';
import { dispatchDue } from '../src/email/outbox.service.ts';
import { mintProformaLink } from '../src/proformas/chase.repository.ts';
import type { JobDefinition } from '../src/queue/job.ts';

const payload = z.strictObject({ v: z.literal(1) });

/**
 * The outbox dispatcher: sends what is due. The payload carries nothing: the outbox rows in
 * PostgreSQL say what to send, claimed with FOR UPDATE SKIP LOCKED so passes never overlap.
 */
export const sendEmailJob: JobDefinition<z.output<typeof payload>> = {
  name: 'send-email',
  queue: 'email',
  payload,
  process: async (ctx) => {
    const counts = await dispatchDue(ctx.db, ctx.transport, {
      now: ctx.now(),
      // Links are minted as each email goes out: no raw token is ever stored.
      proformaLinks: { publicBaseUrl: ctx.config.publicBaseUrl, mint: mintProformaLink },
    });
    return { ...counts };
  },
};
