import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { simpleParser } from 'mailparser';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintSignInLink } from '../../src/auth/sign-in.service.ts';
import { loadConfig } from '../../src/config.ts';
import type { DbHandle } from '../../src/db/client.ts';
import { dispatchDue } from '../../src/email/outbox.service.ts';
import { createFileTransport } from '../../src/email/transport.ts';
import { buildApp } from '../../src/web/app.ts';
import { createTestDatabase, engines } from '../helpers/database.ts';
import { worldNow } from '../helpers/web-world.ts';
import { type ChairWorld, createChairWorld } from '../integration/web-chair.world.ts';

/*
 * The hub chair, in Debian's chromium: signs in by the emailed link (sent through the outbox into
 * .eml files), opens a sitting's agenda, builds it, tries a move to a taken slot (refused, shown in
 * the error summary), moves an item to a free slot, publishes after the confirmation page and sees
 * the published agenda; then the agenda and sittings pages again at 320 px. axe-core runs on every
 * page visited: no serious or critical violations. Screenshots of the agenda at desktop width and at
 * 320 px are saved in tests/e2e/screenshots/ (and one of any failing step).
 */

const here = path.dirname(fileURLToPath(import.meta.url));
const screenshots = path.join(here, 'screenshots');
const axeSource = readFileSync(
  fileURLToPath(new URL('../../node_modules/axe-core/axe.min.js', import.meta.url)),
  'utf8',
);

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

describe('the chair reviews, edits and publishes an agenda in a real browser', () => {
  let handle: DbHandle;
  let world: ChairWorld;
  let app: FastifyInstance;
  let browser: Browser;
  let page: Page;
  let base: string;
  const outbox = mkdtempSync(path.join(tmpdir(), 'hub-e2e-chair-outbox-'));
  const consoleErrors: string[] = [];
  const failedResponses: string[] = [];
  const axeFindings: string[] = [];
  const axeMinor: string[] = [];
  let pagesChecked = 0;

  beforeAll(async () => {
    handle = await createTestDatabase(engines.includes('postgres') ? 'postgres' : 'pglite');
    world = await createChairWorld(handle.db);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const config = loadConfig({
      LOG_LEVEL: 'silent',
      PUBLIC_BASE_URL: base,
      SESSION_SECRET: 'e2e-session-secret-of-at-least-32-characters',
    });
    app = await buildApp({ db: handle.db, config, now: () => worldNow, logger: false });
    await app.listen({ port, host: '127.0.0.1' });
    mkdirSync(screenshots, { recursive: true });
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(`${m.text()} (${m.location().url})`);
    });
    page.on('response', (r) => {
      if (r.status() >= 400) failedResponses.push(`${r.status()} ${new URL(r.url()).pathname}`);
    });
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await handle?.close();
    rmSync(outbox, { recursive: true, force: true });
  });

  /** Runs a step; on failure saves a full-page screenshot named after it, then fails. */
  async function step(name: string, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error) {
      await page
        .screenshot({ path: path.join(screenshots, `chair-${name}.png`), fullPage: true })
        .catch(() => {});
      throw error;
    }
  }

  /** axe-core on the current page (through the DevTools protocol, so the page's CSP stays on). */
  async function checkPage(label: string): Promise<void> {
    await page.evaluate(axeSource);
    const violations = await page.evaluate(async () => {
      const result = await (
        globalThis as unknown as {
          axe: {
            run: () => Promise<{
              violations: Array<{ id: string; impact: string; help: string; nodes: unknown[] }>;
            }>;
          };
        }
      ).axe.run();
      return result.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        nodes: v.nodes.length,
      }));
    });
    pagesChecked += 1;
    for (const v of violations)
      (v.impact === 'serious' || v.impact === 'critical' ? axeFindings : axeMinor).push(
        `${label}: ${v.id} (${v.impact}) ${v.help} x${v.nodes}`,
      );
    // Nothing wider than the window (320 px on a phone).
    const [scroll, inner] = await page.evaluate<[number, number]>(
      '[document.documentElement.scrollWidth, window.innerWidth]',
    );
    expect(scroll, `${label} is wider than the window`).toBeLessThanOrEqual(inner);
  }

  const agendaPath = () => `/sittings/${world.sitting31}/agenda`;

  it('signs in, builds, moves an item, publishes after the confirmation and sees it published', async () => {
    await step('01-sign-in', async () => {
      await page.goto(`${base}${agendaPath()}`);
      expect(new URL(page.url()).pathname).toBe('/sign-in');
      await checkPage('sign-in');
      await page.getByLabel('Email address').fill('chair@council.test');
      await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
      await page.getByRole('heading', { name: 'Check your email' }).waitFor();
      await checkPage('check-email');
    });

    let signInUrl = '';
    await step('02-email', async () => {
      // The dispatcher mints the link as it sends, as the worker does: no raw token is ever stored.
      const counts = await dispatchDue(handle.db, createFileTransport(outbox, 'Hub <hub@council.test>'), {
        now: worldNow,
        signInLinks: { publicBaseUrl: base, mint: mintSignInLink },
      });
      expect(counts.sent).toBe(1);
      const file = readdirSync(outbox).find((f) => f.endsWith('.eml')) as string;
      const mail = await simpleParser(readFileSync(path.join(outbox, file)));
      signInUrl = /(http:\/\/\S+\/sign-in\/[A-Za-z0-9_-]+)/.exec(mail.text ?? '')?.[1] ?? '';
      expect(signInUrl).not.toBe('');
    });

    await step('03-continue-to-agenda', async () => {
      await page.goto(signInUrl);
      await checkPage('continue');
      await page.getByRole('button', { name: 'Continue' }).click();
      // Back where the chair was going: the agenda of Wednesday 31 March 2027.
      await page.getByRole('heading', { name: 'Agenda for Wednesday 31 March 2027' }).waitFor();
      expect(new URL(page.url()).pathname).toBe(agendaPath());
      await checkPage('agenda-unbuilt');
    });

    await step('04-build', async () => {
      await page.getByRole('button', { name: 'Build agenda' }).click();
      await page.getByText('The agenda has been built.').waitFor();
      await checkPage('agenda-built');
      expect(await page.getByText('Break, 11:00 to 11:15 (15 minutes)').count()).toBe(1);
      expect(await page.getByText('Consent not recorded').count()).toBe(1);
    });

    await step('05-refused-move', async () => {
      await page.getByRole('link', { name: /Change item for family FAM-C/ }).click();
      await page.getByRole('heading', { name: 'Family FAM-C, 09:30 to 10:00' }).waitFor();
      await checkPage('item');
      await page.getByLabel('Move to').selectOption({ label: 'Slot 4, 11:15 (FAM-E)' });
      await page.getByRole('button', { name: 'Move item' }).click();
      await page.getByRole('heading', { name: 'There is a problem' }).waitFor();
      await checkPage('item-refused');
      await page.screenshot({ path: path.join(screenshots, 'chair-item-refused.png'), fullPage: true });
      expect(await page.getByRole('link', { name: /is taken by family FAM-E/ }).count()).toBe(1);
    });

    await step('06-move', async () => {
      await page.getByLabel('Move to').selectOption({ label: 'Slot 5, 11:45 (free)' });
      await page.getByRole('button', { name: 'Move item' }).click();
      await page.getByText('The item has been moved. Family FAM-C is now at 11:45 to 12:15.').waitFor();
      await checkPage('agenda-moved');
      expect(await page.getByRole('heading', { name: '11:45 to 12:15 · Slot 5' }).count()).toBe(1);
      await page.screenshot({ path: path.join(screenshots, 'chair-agenda-desktop.png'), fullPage: true });
    });

    await step('07-publish', async () => {
      await page.getByRole('button', { name: 'Publish agenda' }).click();
      await page.getByRole('heading', { name: 'Publish the agenda for Wednesday 31 March 2027?' }).waitFor();
      await checkPage('publish-confirm');
      await page.getByRole('button', { name: 'Publish agenda' }).click();
      await page.getByText('The agenda has been published. It is now frozen.').waitFor();
      await checkPage('agenda-published');
      expect(
        await page.locator('.govuk-summary-list__value .govuk-tag', { hasText: 'Published' }).count(),
      ).toBe(1);
      expect(await page.getByRole('button', { name: 'Rebuild agenda' }).count()).toBe(0);
      expect(await page.getByRole('link', { name: /Change item/ }).count()).toBe(0);
      const sitting = await handle.db
        .selectFrom('sittings')
        .select('status')
        .where('id', '=', world.sitting31)
        .executeTakeFirstOrThrow();
      expect(sitting.status).toBe('published');
    });

    await step('08-changes-and-print', async () => {
      await page.getByRole('link', { name: 'What changed since publishing' }).click();
      await page.getByText('Nothing has changed since the agenda was published.').waitFor();
      await checkPage('changes');
      await page.goto(`${base}${agendaPath()}/print`);
      await page.getByRole('heading', { level: 1 }).waitFor();
      await checkPage('print');
    });

    await step('09-phone', async () => {
      await page.setViewportSize({ width: 320, height: 640 });
      await page.goto(`${base}${agendaPath()}`);
      await page.getByRole('heading', { name: 'Agenda for Wednesday 31 March 2027' }).waitFor();
      await checkPage('agenda-320');
      await page.screenshot({ path: path.join(screenshots, 'chair-agenda-320.png'), fullPage: true });
      await page.goto(`${base}/sittings?hub=${world.hubId}`);
      await page.getByRole('heading', { name: 'Sittings' }).waitFor();
      await checkPage('sittings-320');
      await page.screenshot({ path: path.join(screenshots, 'chair-sittings-320.png'), fullPage: true });
      expect(await page.getByText('Moved from Wednesday 14 April 2027 (Hub training day)').count()).toBe(1);
    });

    console.log(
      `axe-core: ${pagesChecked} pages checked; minor or moderate findings: ${axeMinor.length ? axeMinor.join('; ') : 'none'}`,
    );
    expect(pagesChecked).toBeGreaterThanOrEqual(12);
    expect(axeFindings, 'axe: serious or critical violations').toEqual([]);
    // The refused move is itself a 409 response; anything else (a CSP violation, a missing asset) fails.
    const unexpected = consoleErrors.filter((e) => !e.includes('status of 409'));
    expect(unexpected, `browser console errors (a CSP violation shows here); ${failedResponses}`).toEqual([]);
  });
});
