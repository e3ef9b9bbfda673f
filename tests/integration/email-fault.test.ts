import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DbHandle, openPglite } from '../../src/db/client.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { enqueueEmail } from '../../src/email/outbox.service.ts';
import { createTestDatabase, engines } from '../helpers/database.ts';
import { mailFrom, reminderParams, seedProforma } from './fixtures/email-seed.ts';
import { startSmtpServer, type TestSmtpServer } from './fixtures/email-smtp-server.ts';

/*
 * Fault test: a dispatcher process is SIGKILLed after the SMTP server accepted a message and before
 * the row was marked sent, then restarted. Counted by Message-ID at the server: no message may be
 * lost, and the copy re-sent after each kill carries the same Message-ID (recognisable).
 */

const root = fileURLToPath(new URL('../../', import.meta.url));
const child = fileURLToPath(new URL('./fixtures/email-dispatcher-child.ts', import.meta.url));
const emails = 12;
const kills = 3;
const leaseSeconds = 2;

interface ChildEvent {
  event: string;
  id?: number;
  messageId?: string;
  resend?: boolean;
}

function startChild(args: Record<string, unknown>) {
  const process_ = spawn(process.execPath, ['--import', 'tsx/esm', child, JSON.stringify(args)], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const events: ChildEvent[] = [];
  const waiters: Array<{ match: (e: ChildEvent) => boolean; resolve: (e: ChildEvent) => void }> = [];
  let stderr = '';
  process_.stderr?.on('data', (chunk) => {
    stderr += String(chunk);
  });
  createInterface({ input: process_.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    const event = JSON.parse(line) as ChildEvent;
    events.push(event);
    for (const w of [...waiters]) if (w.match(event)) w.resolve(event);
  });
  const exited = new Promise<number | null>((resolve) => process_.on('exit', (code) => resolve(code)));
  return {
    process: process_,
    events,
    exited,
    stderr: () => stderr,
    waitFor(match: (e: ChildEvent) => boolean, timeoutMs = 30_000): Promise<ChildEvent> {
      const seen = events.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`child never said that; stderr: ${stderr}`)),
          timeoutMs,
        );
        waiters.push({
          match,
          resolve: (e) => {
            clearTimeout(timer);
            resolve(e);
          },
        });
        void exited.then((code) => reject(new Error(`child exited (${code}) first; stderr: ${stderr}`)));
      });
    },
  };
}

async function kill(p: ChildProcess, exited: Promise<number | null>) {
  p.kill('SIGKILL');
  await exited;
}

describe.each(engines)('email dispatcher killed between send and commit, on %s', (engine) => {
  let smtp: TestSmtpServer;
  let open: () => Promise<DbHandle>;
  let target: { databaseUrl: string | null; pgliteDir: string | null };
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    if (engine === 'postgres') {
      const handle = await createTestDatabase('postgres');
      target = { databaseUrl: handle.url, pgliteDir: null };
      open = async () => ({ ...handle, close: async () => {} });
      cleanup = () => handle.close();
    } else {
      // PGlite is one process at a time: the test and the child take turns on the same folder.
      const dir = await mkdtemp(path.join(tmpdir(), 'hub-fault-'));
      const first = openPglite(dir);
      await migrateToLatest(first.db);
      await first.close();
      target = { databaseUrl: null, pgliteDir: dir };
      open = async () => openPglite(dir);
      cleanup = () => rm(dir, { recursive: true, force: true });
    }
  });
  afterAll(async () => {
    await smtp.close();
    await cleanup();
  });

  it('loses no message, and every re-send carries the same Message-ID', async () => {
    const setup = await open();
    const queued: Array<{ id: number; messageId: string }> = [];
    const due = new Date(Date.now() - 60_000);
    for (let n = 1; n <= emails; n++) {
      const seeded = await seedProforma(setup.db, n);
      queued.push(
        await enqueueEmail(setup.db, {
          idempotencyKey: `proforma-reminder:${seeded.requestId}:${seeded.sittingId}:1`,
          template: 'proforma-reminder',
          to: `dsl${n}@school${n}.example.sch.uk`,
          params: reminderParams(seeded.reference, n),
          scheduledFor: due,
          requestId: seeded.requestId,
          proformaId: seeded.proformaId,
          mailFrom,
        }),
      );
    }
    await setup.close();

    const args = { ...target, smtpUrl: smtp.url, mailFrom, leaseSeconds };
    const killed: ChildEvent[] = [];
    let processes = 0;
    for (let k = 0; k < kills; k++) {
      const c = startChild({ ...args, holdAfterAccepted: true });
      processes += 1;
      const accepted = await c.waitFor((e) => e.event === 'accepted' && e.resend === false);
      // The server has the message and said 250; the row is still `sending`. Kill -9 now.
      expect(smtp.countsByMessageId().get(accepted.messageId as string)).toBe(1);
      await kill(c.process, c.exited);
      killed.push(accepted);
    }
    const last = startChild({ ...args, holdAfterAccepted: false });
    processes += 1;
    await last.waitFor((e) => e.event === 'done', 60_000);
    expect(await last.exited).toBe(0);

    const check = await open();
    const rows = await check.db
      .selectFrom('email_outbox')
      .select(['id', 'state', 'message_id', 'uncertain_sends', 'attempts'])
      .orderBy('id')
      .execute();
    await check.close();

    const received = smtp.countsByMessageId();
    const lost = queued.filter((q) => !received.has(q.messageId)).length;
    const duplicated = [...received.entries()].filter(([, count]) => count > 1).map(([id]) => id);
    const figures = {
      engine,
      emails,
      sent: rows.filter((r) => r.state === 'sent').length,
      kills,
      restarts: processes - 1,
      delivered: smtp.received.length,
      distinctMessageIds: received.size,
      lost,
      duplicateMessageIds: duplicated.length,
    };
    console.log(`email fault figures: ${JSON.stringify(figures)}`);

    expect(lost).toBe(0);
    expect(rows.map((r) => r.state)).toEqual(queued.map(() => 'sent'));
    expect(received.size).toBe(emails);
    // Exactly the killed sends were repeated, once each, under their own Message-ID.
    expect(duplicated.sort()).toEqual(killed.map((k) => k.messageId).sort());
    for (const k of killed) expect(received.get(k.messageId as string)).toBe(2);
    expect(smtp.received.length).toBe(emails + kills);
    const uncertainRows = rows.filter((r) => r.uncertain_sends > 0).map((r) => r.id);
    expect(uncertainRows.sort()).toEqual(killed.map((k) => k.id).sort());
    // Every delivered message went to exactly one recipient.
    for (const m of smtp.received) expect(m.to).toHaveLength(1);
  }, 180_000);
});
