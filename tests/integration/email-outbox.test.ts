import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/actor.ts';
import type { Db } from '../../src/db/client.ts';
import { type DispatchOptions, dispatchDue, enqueueEmail } from '../../src/email/outbox.service.ts';
import { listOutbox, retryFailed } from '../../src/email/outbox-admin.service.ts';
import { createEmailTransport, createSmtpTransport, type EmailTransport } from '../../src/email/transport.ts';
import { createTestDatabase, engines } from '../helpers/database.ts';
import { mailFrom, reminderParams, requestParams, seedProforma } from './fixtures/email-seed.ts';
import { type ServerVerdict, startSmtpServer, type TestSmtpServer } from './fixtures/email-smtp-server.ts';

const t0 = new Date('2027-03-22T09:00:00Z');
const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);
const admin: Actor = { kind: 'user', userId: 1, role: 'admin', schoolId: null, agencyId: null };
const chair: Actor = { kind: 'user', userId: 2, role: 'chair', schoolId: null, agencyId: null };

describe.each(engines)('email outbox on %s', (engine) => {
  let handle: Awaited<ReturnType<typeof createTestDatabase>>;
  let db: Db;
  let smtp: TestSmtpServer;
  let transport: EmailTransport;
  let verdict: (m: { messageId: string; attempt: number }) => ServerVerdict;
  let seq = 0;

  beforeAll(async () => {
    handle = await createTestDatabase(engine);
    db = handle.db;
    smtp = await startSmtpServer((m) => verdict(m));
    transport = createSmtpTransport(smtp.url, mailFrom, { rateLimit: 1000 });
  });
  afterAll(async () => {
    await transport.close();
    await smtp.close();
    await handle.close();
  });
  afterEach(async () => {
    // Each test starts with an empty outbox and a server that accepts everything.
    await db.updateTable('email_outbox').set({ state: 'cancelled' }).where('state', '!=', 'sent').execute();
    verdict = () => ({ kind: 'accept' });
  });
  verdict = () => ({ kind: 'accept' });

  async function queue(n: number, options: { scheduledFor?: Date; giveUpAt?: Date; to?: string } = {}) {
    const seeded = await seedProforma(db, ++seq);
    const queued = await enqueueEmail(db, {
      idempotencyKey: `proforma-reminder:${seeded.requestId}:${seeded.sittingId}:1`,
      template: 'proforma-reminder',
      to: options.to ?? `dsl${n}@school${n}.example.sch.uk`,
      params: reminderParams(seeded.reference, n),
      scheduledFor: options.scheduledFor ?? t0,
      giveUpAt: options.giveUpAt ?? null,
      requestId: seeded.requestId,
      proformaId: seeded.proformaId,
      mailFrom,
    });
    return { ...seeded, ...queued };
  }
  const dispatch = (now: Date, extra: Partial<DispatchOptions> = {}) =>
    dispatchDue(db, transport, { now, batchSize: 20, leaseSeconds: 60, ...extra });
  const row = (id: number) =>
    db.selectFrom('email_outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  it('sends what is due, one message per recipient, each with its row’s Message-ID, and nothing twice', async () => {
    const before = smtp.received.length;
    const due = [await queue(1), await queue(2), await queue(3)];
    const later = await queue(4, { scheduledFor: at(3600) });

    expect(await dispatch(t0)).toEqual({ sent: 3, retried: 0, failed: 0, uncertain: 0, cancelled: 0 });
    expect(await dispatch(at(1))).toEqual({ sent: 0, retried: 0, failed: 0, uncertain: 0, cancelled: 0 });

    const got = smtp.received.slice(before);
    expect(got.map((m) => m.messageId).sort()).toEqual(due.map((d) => d.messageId).sort());
    for (const m of got) {
      expect(m.to).toHaveLength(1);
      expect(m.parsed.to && !Array.isArray(m.parsed.to) ? m.parsed.to.value : []).toHaveLength(1);
      expect(m.parsed.cc).toBeUndefined();
    }
    expect((await row(due[0]!.id)).state).toBe('sent');
    expect((await row(due[0]!.id)).sent_at).toEqual(t0);
    expect((await row(later.id)).state).toBe('pending');
  });

  it('queues an email once per idempotency key, and only with the change that causes it', async () => {
    const seeded = await seedProforma(db, ++seq);
    const input = {
      idempotencyKey: `proforma-request:${seeded.requestId}:${seeded.sittingId}`,
      template: 'proforma-request' as const,
      to: 'DSL@Riverside.example.sch.uk',
      params: requestParams(seeded.reference),
      scheduledFor: t0,
      mailFrom,
    };
    const first = await enqueueEmail(db, input);
    const again = await enqueueEmail(db, input);
    expect(first.kind).toBe('queued');
    expect(again).toEqual({ ...first, kind: 'already-queued' });
    expect(first.messageId).toMatch(/^<outbox-[0-9a-f]{24}@earlyhelp\.example\.gov\.uk>$/);

    await expect(
      db.transaction().execute(async (trx) => {
        await enqueueEmail(trx, { ...input, idempotencyKey: `${input.idempotencyKey}:rolled-back` });
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    const keys = await db
      .selectFrom('email_outbox')
      .select('idempotency_key')
      .where('idempotency_key', 'like', `${input.idempotencyKey}%`)
      .execute();
    expect(keys.map((k) => k.idempotency_key)).toEqual([input.idempotencyKey]);
  });

  it('refuses several recipients in one email, and params that could carry a name', async () => {
    const seeded = await seedProforma(db, ++seq);
    const base = {
      idempotencyKey: `proforma-reminder:${seeded.requestId}:x`,
      template: 'proforma-reminder' as const,
      params: reminderParams(seeded.reference),
      scheduledFor: t0,
      mailFrom,
    };
    for (const to of [
      'a@one.example.org, b@two.example.org',
      'a@one.example.org;b@two.example.org',
      'Ann <a@x.org>',
    ]) {
      await expect(enqueueEmail(db, { ...base, to })).rejects.toMatchObject({
        code: 'invalid-input',
        issues: [expect.objectContaining({ field: 'to' })],
      });
    }
    await expect(
      enqueueEmail(db, {
        ...base,
        to: 'dsl@riverside.example.sch.uk',
        params: { ...base.params, childName: 'Zebedee Quixley' } as never,
      }),
    ).rejects.toMatchObject({
      code: 'invalid-input',
      issues: [expect.objectContaining({ field: '(root)' })],
    });
  });

  it('SMTP 421 then success: retried with backoff, exactly one message received', async () => {
    verdict = ({ attempt }) =>
      attempt === 0 ? { kind: 'reject', code: 421, message: 'Try again later' } : { kind: 'accept' };
    const q = await queue(5);

    expect(await dispatch(t0)).toMatchObject({ sent: 0, retried: 1, failed: 0 });
    const waiting = await row(q.id);
    expect(waiting).toMatchObject({ state: 'pending', attempts: 1, scheduled_for: at(60) });
    expect(waiting.last_error).toContain('421');
    expect(await dispatch(at(59))).toMatchObject({ sent: 0, retried: 0 });
    expect(await dispatch(at(60))).toMatchObject({ sent: 1, retried: 0 });

    expect(smtp.countsByMessageId().get(q.messageId)).toBe(1);
    expect(smtp.refused.filter((r) => r.messageId === q.messageId)).toEqual([
      { messageId: q.messageId, code: 421 },
    ]);
    expect(await row(q.id)).toMatchObject({ state: 'sent', attempts: 2 });
  });

  it('gives up on a 4xx once the next attempt would fall after the give-up time', async () => {
    verdict = () => ({ kind: 'reject', code: 451, message: 'Greylisted' });
    const q = await queue(6, { giveUpAt: at(150) });
    expect(await dispatch(t0)).toMatchObject({ retried: 1, failed: 0 }); // next at +60 s
    expect(await dispatch(at(60))).toMatchObject({ retried: 0, failed: 1 }); // next would be +180 s
    const failed = await row(q.id);
    expect(failed.state).toBe('failed');
    expect(failed.last_error).toMatch(/^Gave up after 2 attempts: .*451/);
  });

  it('SMTP 550: failed at once, never retried, error kept for admins; an admin can send it again', async () => {
    verdict = () => ({ kind: 'reject', code: 550, message: 'No such user here' });
    const q = await queue(7);

    expect(await dispatch(t0)).toMatchObject({ sent: 0, retried: 0, failed: 1 });
    expect(await dispatch(at(86_400))).toMatchObject({ sent: 0, retried: 0, failed: 0 });
    expect(smtp.refused.filter((r) => r.messageId === q.messageId)).toHaveLength(1);
    const failed = (await listOutbox(db, { state: 'failed' })).find((e) => e.id === q.id);
    expect(failed).toMatchObject({ state: 'failed', attempts: 1, messageId: q.messageId });
    expect(failed?.lastError).toContain('550 No such user here');
    expect(failed).not.toHaveProperty('params');

    await expect(retryFailed(db, q.id, chair, at(100))).rejects.toMatchObject({ code: 'forbidden' });
    verdict = () => ({ kind: 'accept' });
    expect(await retryFailed(db, q.id, admin, at(100))).toMatchObject({
      state: 'pending',
      scheduledFor: at(100),
    });
    await expect(retryFailed(db, q.id, admin, at(100))).rejects.toMatchObject({ code: 'conflict' });
    expect(await dispatch(at(100))).toMatchObject({ sent: 1 });
    expect(smtp.countsByMessageId().get(q.messageId)).toBe(1);
    const audit = await db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'email.retried')
      .execute();
    expect(audit.map((a) => [a.actor, a.entity_id])).toContainEqual(['user:1', String(q.id)]);
  });

  it('a submitted proforma cancels its pending reminder when the row is claimed', async () => {
    const before = smtp.received.length;
    const q = await queue(8);
    await db
      .updateTable('proformas')
      .set({ status: 'submitted', submitted_at: at(-60), submitted_by: 'user:9' })
      .where('id', '=', q.proformaId)
      .execute();

    expect(await dispatch(t0)).toEqual({ sent: 0, retried: 0, failed: 0, uncertain: 0, cancelled: 1 });
    expect(smtp.received.length).toBe(before);
    expect(await row(q.id)).toMatchObject({ state: 'cancelled', attempts: 0 });
  });

  it('connection lost after the data: uncertain, re-sent once with the same Message-ID', async () => {
    verdict = ({ attempt }) => (attempt === 0 ? { kind: 'accept-then-drop' } : { kind: 'accept' });
    const q = await queue(9);

    expect(await dispatch(t0)).toMatchObject({ sent: 0, retried: 0, failed: 0, uncertain: 1 });
    expect(await row(q.id)).toMatchObject({ state: 'uncertain', uncertain_sends: 1, scheduled_for: at(60) });
    expect(await dispatch(at(60))).toMatchObject({ sent: 1, uncertain: 0 });

    // Two deliveries, one Message-ID: the receiving side can tell the second is a copy.
    expect(smtp.countsByMessageId().get(q.messageId)).toBe(2);
    expect(await row(q.id)).toMatchObject({ state: 'sent', attempts: 2, uncertain_sends: 1 });
  });

  it('an uncertain re-send that is uncertain again fails instead of sending a third copy', async () => {
    verdict = () => ({ kind: 'accept-then-drop' });
    const q = await queue(10);
    expect(await dispatch(t0)).toMatchObject({ uncertain: 1, failed: 0 });
    expect(await dispatch(at(60))).toMatchObject({ uncertain: 1, failed: 1, sent: 0 });
    expect(await dispatch(at(3600))).toMatchObject({ sent: 0, failed: 0, uncertain: 0 });
    expect(smtp.countsByMessageId().get(q.messageId)).toBe(2);
    const failed = await row(q.id);
    expect(failed).toMatchObject({ state: 'failed', uncertain_sends: 2 });
    expect(failed.last_error).toMatch(/^Delivery uncertain twice/);
  });

  it('a row left in sending past its lease is re-sent once with the same Message-ID', async () => {
    const q = await queue(11);
    // A dispatcher that claimed the row and died: state sending, lease running out at +60 s.
    await db
      .updateTable('email_outbox')
      .set({ state: 'sending', attempts: 1, locked_until: at(60) })
      .where('id', '=', q.id)
      .execute();
    expect(await dispatch(at(30))).toMatchObject({ sent: 0, uncertain: 0 });
    expect(await dispatch(at(61))).toMatchObject({ sent: 1, uncertain: 1 });
    expect(await row(q.id)).toMatchObject({ state: 'sent', attempts: 2, uncertain_sends: 1 });
    expect(smtp.countsByMessageId().get(q.messageId)).toBe(1);
  });

  it('two dispatchers at once never send the same row twice', async () => {
    const before = smtp.received.length;
    const queued = [];
    for (let n = 0; n < 8; n++) queued.push(await queue(20 + n));
    const [a, b] = await Promise.all([dispatch(t0, { batchSize: 4 }), dispatch(t0, { batchSize: 4 })]);
    const rest = await dispatch(t0);
    expect(a.sent + b.sent + rest.sent).toBe(8);
    const counts = smtp.countsByMessageId();
    expect(queued.map((q) => counts.get(q.messageId))).toEqual(queued.map(() => 1));
    expect(smtp.received.length - before).toBe(8);
  });

  it('mints the proforma link at send time when the email was queued without one', async () => {
    const seeded = await seedProforma(db, ++seq);
    const { proformaUrl: _stored, ...params } = reminderParams(seeded.reference);
    const q = await enqueueEmail(db, {
      idempotencyKey: `proforma-reminder:${seeded.requestId}:${seeded.sittingId}:2`,
      template: 'proforma-reminder',
      to: 'dsl@riverside.example.sch.uk',
      params,
      scheduledFor: t0,
      proformaId: seeded.proformaId,
      mailFrom,
    });
    const stored = await row(q.id);
    expect(JSON.stringify(stored.params)).not.toContain('/proforma/');

    // Without a minter the email waits (and says why) rather than going out without its link.
    expect(await dispatch(t0)).toMatchObject({ sent: 0, retried: 1 });
    expect((await row(q.id)).last_error).toBe(
      'Cannot mint the proforma link: dispatchDue was given no proformaLinks',
    );

    const minted: Array<{ proformaId: number; expiresAt: Date }> = [];
    const proformaLinks = {
      publicBaseUrl: 'https://earlyhelp.example.gov.uk/',
      mint: async (_db: Db, proformaId: number, expiresAt: Date) => {
        minted.push({ proformaId, expiresAt });
        return `tok${minted.length}Xy`;
      },
    };
    expect(await dispatch(at(60), { proformaLinks })).toMatchObject({ sent: 1 });
    expect(minted).toEqual([{ proformaId: seeded.proformaId, expiresAt: new Date('2027-03-31T12:30:00Z') }]);
    const got = smtp.received.find((m) => m.messageId === q.messageId);
    expect(got?.parsed.text).toContain('https://earlyhelp.example.gov.uk/proforma/tok1Xy');
    expect(JSON.stringify((await row(q.id)).params)).not.toContain('tok1Xy');
  });

  it('without SMTP, writes one .eml file per message into <dataDir>/outbox, invite attached', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'hub-email-'));
    const files = createEmailTransport({ smtpUrl: null, mailFrom, dataDir });
    try {
      const seeded = await seedProforma(db, ++seq);
      const request = await enqueueEmail(db, {
        idempotencyKey: `proforma-request:${seeded.requestId}:${seeded.sittingId}`,
        template: 'proforma-request',
        to: 'dsl@riverside.example.sch.uk',
        params: requestParams(seeded.reference),
        scheduledFor: t0,
        proformaId: seeded.proformaId,
        mailFrom,
      });
      const signIn = await enqueueEmail(db, {
        idempotencyKey: `sign-in-link:${seq}`,
        template: 'sign-in-link',
        to: 'coordinator@council.example.gov.uk',
        params: { signInUrl: 'https://earlyhelp.example.gov.uk/sign-in/abc', expiresAt: at(900) },
        scheduledFor: t0,
        mailFrom,
      });
      expect(await dispatchDue(db, files, { now: t0 })).toMatchObject({ sent: 2 });
      expect(await dispatchDue(db, files, { now: at(1) })).toMatchObject({ sent: 0 });

      const outbox = path.join(dataDir, 'outbox');
      expect((await readdir(outbox)).sort()).toEqual(
        [`outbox-${request.id}.eml`, `outbox-${signIn.id}.eml`].sort(),
      );
      const eml = await simpleParser(await readFile(path.join(outbox, `outbox-${request.id}.eml`)));
      expect(eml.messageId).toBe(request.messageId);
      // 16:00Z on 29 March 2027 is 5pm BST: the clocks went forward on the 28th.
      expect(eml.subject).toBe(
        `Proforma needed for request ${seeded.reference} by 5pm on Monday 29 March 2027`,
      );
      expect(eml.text).toContain('will be heard by the North hub at 10:30am on Wednesday 31 March 2027');
      expect(eml.text).toContain('https://earlyhelp.example.gov.uk/proforma/token1');
      const invite = eml.attachments.find((a) => a.contentType === 'text/calendar');
      expect(invite?.content.toString()).toContain('UID:sitting-1-slot-2@earlyhelp.example.gov.uk');
      expect(eml.headers.get('auto-submitted')).toBe('auto-generated');
      const signInEml = await simpleParser(await readFile(path.join(outbox, `outbox-${signIn.id}.eml`)));
      expect(signInEml.text).toContain('expires in 15 minutes (at 9:15am)');
    } finally {
      await files.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
