import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import type { DbHandle } from '../../src/db/client.ts';
import type { EmailTransport, OutgoingEmail } from '../../src/email/transport.ts';
import { silentLogger } from '../../src/log.ts';
import { createWorkers } from '../../src/queue/workers.ts';
import { seedDemo } from '../../src/seed/seed.service.ts';
import { runHub } from '../helpers/cli.ts';
import { createTestDatabase, engines } from '../helpers/database.ts';

/** A transport that keeps what it is given (the in-process runner with no SMTP at all). */
function capture(): EmailTransport & { sent: OutgoingEmail[] } {
  const sent: OutgoingEmail[] = [];
  return {
    kind: 'file',
    sent,
    send: async (email) => {
      sent.push(email);
      return { kind: 'sent', response: '250 kept' };
    },
    close: async () => {},
  };
}

describe.each(engines)('in-process cycle on %s', (engine) => {
  let handle: DbHandle;
  beforeAll(async () => {
    handle = await createTestDatabase(engine);
  });
  afterAll(async () => {
    await handle.close();
  });

  it('defers requests whose proforma missed the deadline when the hub says so', async () => {
    let clock = new Date('2027-03-01T06:00:00Z');
    await seedDemo(handle.db, { now: clock, actor: { kind: 'system', name: 'test' } });
    await handle.db.updateTable('hubs').set({ missing_proforma_policy: 'defer' }).execute();
    const transport = capture();
    const workers = await createWorkers(handle, loadConfig({}), {
      log: silentLogger,
      now: () => clock,
      transport,
    });
    try {
      for (; clock < new Date('2027-03-16T12:00:00Z'); clock = new Date(clock.getTime() + 3 * 3600_000))
        await workers.runner.runOnce();
    } finally {
      await workers.close();
    }
    const sitting = await handle.db
      .selectFrom('sittings')
      .select('id')
      .where('date', '=', '2027-03-17')
      .executeTakeFirstOrThrow();
    const missing = await handle.db
      .selectFrom('proformas')
      .select('request_id')
      .where('sitting_id', '=', sitting.id)
      .where('status', '<>', 'submitted')
      .execute();
    expect(missing.length).toBeGreaterThan(0); // nobody answered in this test
    const deferred = await handle.db
      .selectFrom('agenda_deferrals')
      .select(['request_id', 'reason'])
      .where('sitting_id', '=', sitting.id)
      .where('reason', '=', 'proforma-missing')
      .execute();
    expect(deferred.map((d) => d.request_id).sort()).toEqual(missing.map((m) => m.request_id).sort());
    const stillOn = await handle.db
      .selectFrom('agenda_item_requests')
      .select('request_id')
      .where('sitting_id', '=', sitting.id)
      .where(
        'request_id',
        'in',
        missing.map((m) => m.request_id),
      )
      .execute();
    expect(stillOn).toEqual([]);
    // Emails went through the same dispatcher with one recipient each and a minted link.
    expect(transport.sent.length).toBeGreaterThan(10);
    for (const email of transport.sent) expect(email.to).not.toMatch(/[,;]/);
  }, 120_000);
});

describe('hub demo --fortnight (embedded, no servers)', () => {
  it('runs a whole cycle and writes the same emails as .eml files', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'hub-demo-'));
    try {
      const result = await runHub(['demo', '--fortnight', '--start', '2027-03-01', '--json'], {
        HUB_DATA_DIR: dataDir,
      });
      expect(result.code, result.stderr).toBe(0);
      const summary = JSON.parse(result.stdout);
      expect(summary.agendas.length).toBeGreaterThanOrEqual(2);
      expect(summary.proformas.submitted).toBeGreaterThan(0);
      expect(summary.proformas.escalated).toBeGreaterThan(0);
      expect(summary.suggestions.proposals).toBeGreaterThan(0);
      const sent = Object.values(summary.emails as Record<string, Record<string, number>>).reduce(
        (n, s) => n + (s.sent ?? 0),
        0,
      );
      const files = readdirSync(path.join(dataDir, 'demo', 'outbox')).filter((f) => f.endsWith('.eml'));
      expect(files.length).toBe(sent);
      expect(summary.emails['proforma-request'].sent).toBeGreaterThan(0);
      expect(summary.emails['proforma-reminder'].sent).toBeGreaterThan(0);
      expect(summary.emails['proforma-escalation'].sent).toBeGreaterThan(0);
      const one = readFileSync(path.join(dataDir, 'demo', 'outbox', files[0] as string), 'utf8');
      expect(one).toMatch(/^Message-ID: <outbox-[0-9a-f]{24}@/im);

      // The first run left a migrated template in the cache; a second run starts from it and
      // shows exactly the same cycle.
      expect(readdirSync(path.join(dataDir, 'cache'))).toEqual([
        expect.stringMatching(/^pglite-migrated-[0-9a-f]{16}\.tar\.gz$/),
      ]);
      const again = await runHub(['demo', '--fortnight', '--start', '2027-03-01', '--json'], {
        HUB_DATA_DIR: dataDir,
      });
      expect(again.code, again.stderr).toBe(0);
      expect(JSON.parse(again.stdout)).toEqual(summary);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000);

  it('has schools give a consent date in the past whenever the simulation starts', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'hub-demo-'));
    try {
      // Before 2027: the demo's schools once wrote a fixed 2027 date and the proforma was refused.
      const result = await runHub(['demo', '--fortnight', '--start', '2026-11-02', '--json'], {
        HUB_DATA_DIR: dataDir,
      });
      expect(result.code, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout).proformas.submitted).toBeGreaterThan(0);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000);
});
