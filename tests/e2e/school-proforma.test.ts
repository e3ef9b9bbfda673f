import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { simpleParser } from 'mailparser';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatchOutbox } from '../../jobs/send-email.ts';
import { loadConfig } from '../../src/config.ts';
import type { DbHandle } from '../../src/db/client.ts';
import { createFileTransport } from '../../src/email/transport.ts';
import { buildApp } from '../../src/web/app.ts';
import { createTestDatabase, engines } from '../helpers/database.ts';
import { createWorld, mintProformaLink, type World, worldNow } from '../helpers/web-world.ts';

/*
 * A school's designated safeguarding lead, in Debian's chromium, at 320 px wide:
 * signs in by the emailed link (sent through the outbox into .eml files), then opens the emailed
 * proforma link without signing in, saves a draft, submits, and sees it read-only. axe-core runs on
 * every page: no serious or critical violations. A failing step leaves a screenshot in
 * tests/e2e/screenshots/.
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

describe('school proforma in a real browser', () => {
  let handle: DbHandle;
  let world: World;
  let app: FastifyInstance;
  let browser: Browser;
  let page: Page;
  let base: string;
  const outbox = mkdtempSync(path.join(tmpdir(), 'hub-e2e-outbox-'));
  const consoleErrors: string[] = [];
  const axeFindings: string[] = [];
  const axeMinor: string[] = [];
  let pagesChecked = 0;

  beforeAll(async () => {
    // Real PostgreSQL when the suite has it (the default), else PGlite.
    handle = await createTestDatabase(engines.includes('postgres') ? 'postgres' : 'pglite');
    world = await createWorld(handle.db);
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
    const context = await browser.newContext({ viewport: { width: 320, height: 640 } });
    page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
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
      await page.screenshot({ path: path.join(screenshots, `${name}.png`), fullPage: true }).catch(() => {});
      throw error;
    }
  }

  /** axe-core on the current page (run through the DevTools protocol, so the page's CSP stays on). */
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
    // Works at 320 px: nothing wider than the screen.
    const width = await page.evaluate<number>('document.documentElement.scrollWidth');
    expect(width, `${label} is wider than 320 px`).toBeLessThanOrEqual(320);
  }

  it('signs in by the emailed link, then fills in the proforma from its own link: draft, submit, read-only', async () => {
    await step('01-sign-in', async () => {
      await page.goto(`${base}/`);
      expect(new URL(page.url()).pathname).toBe('/sign-in');
      await checkPage('sign-in');
      await page.getByLabel('Email address').fill('dsl@abbey.test');
      await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
      await page.getByRole('heading', { name: 'Check your email' }).waitFor();
      await checkPage('check-email');
      // JavaScript ran under the CSP (govuk-frontend marks the body once it has initialised).
      expect(
        await page.evaluate<boolean>("document.body.classList.contains('govuk-frontend-supported')"),
      ).toBe(true);
    });

    let signInUrl = '';
    await step('02-email', async () => {
      const counts = await dispatchOutbox(handle.db, createFileTransport(outbox, 'Hub <hub@council.test>'), {
        now: worldNow,
        publicBaseUrl: base,
      });
      expect(counts.sent).toBe(1);
      const file = readdirSync(outbox).find((f) => f.endsWith('.eml')) as string;
      const mail = await simpleParser(readFileSync(path.join(outbox, file)));
      expect(mail.to && 'text' in mail.to ? mail.to.text : '').toBe('dsl@abbey.test');
      signInUrl = /(http:\/\/\S+\/sign-in\/[A-Za-z0-9_-]+)/.exec(mail.text ?? '')?.[1] ?? '';
      expect(signInUrl).not.toBe('');
    });

    await step('03-continue', async () => {
      await page.goto(signInUrl);
      await checkPage('continue');
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.getByRole('heading', { name: 'Proformas to complete' }).waitFor();
      await checkPage('home');
      expect(await page.getByText('Proforma for request EH-2027-0001').count()).toBe(1);
      await page.goto(`${base}/requests`);
      await page.getByText('Wednesday 17 March 2027, 10:30 to 11:00').waitFor();
      await checkPage('requests');
    });

    const token = await mintProformaLink(handle.db, world.proformas.A, new Date('2027-03-17T12:30:00Z'));
    const link = `${base}/proforma/${token}`;
    await step('04-proforma-draft', async () => {
      // The emailed link works without signing in: a fresh browser context has no session.
      const anonymous = await browser.newContext({ viewport: { width: 320, height: 640 } });
      page = await anonymous.newPage();
      page.on('console', (m) => {
        if (m.type() === 'error') consoleErrors.push(m.text());
      });
      await page.goto(link);
      await page.getByRole('heading', { name: 'Request EH-2027-0001' }).waitFor();
      await checkPage('proforma');
      await page
        .getByLabel('What are the needs and concerns?')
        .fill('Attendance has fallen to 82% this term.');
      await page.getByRole('button', { name: 'Save as draft' }).click();
      await page.getByText('Your draft has been saved').waitFor();
      await checkPage('proforma-draft-saved');
      expect(await page.getByLabel('What are the needs and concerns?').inputValue()).toBe(
        'Attendance has fallen to 82% this term.',
      );
    });

    await step('05-proforma-errors', async () => {
      await page.getByRole('button', { name: 'Submit proforma' }).click();
      await page.getByRole('heading', { name: 'There is a problem' }).waitFor();
      await checkPage('proforma-errors');
      // The summary links to the field; nothing typed is lost.
      await page.getByRole('link', { name: 'Describe what the school is already doing' }).click();
      expect(await page.evaluate<string | undefined>('document.activeElement?.id')).toBe('schoolSupport');
      expect(await page.getByLabel('What are the needs and concerns?').inputValue()).toBe(
        'Attendance has fallen to 82% this term.',
      );
    });

    await step('06-proforma-submit', async () => {
      await page.getByRole('group', { name: 'Has the family given consent' }).getByLabel('Yes').check();
      await page.getByLabel('Day').fill('8');
      await page.getByLabel('Month').fill('3');
      await page.getByLabel('Year').fill('2027');
      await page.getByLabel('How was consent gained and recorded?').fill('Signed form on the school file');
      await page
        .getByLabel('What is the school already doing to help?')
        .fill('Daily check-in with the learning mentor');
      await page.getByLabel("In the family's own words").fill('Calmer mornings');
      await page.getByLabel('Who already works with the family?').fill('School nurse');
      await page.getByLabel('Family support team').check();
      await page.getByLabel('Why?').fill('The needs are mostly at home');
      await page
        .getByRole('group', { name: 'Will someone from the school attend' })
        .getByLabel('Yes')
        .check();
      await page.getByLabel('Earliest').fill('09:30');
      await page.getByLabel('Latest').fill('11:00');
      await page.getByRole('button', { name: 'Submit proforma' }).click();
      await page.getByText('Proforma submitted').waitFor();
      await checkPage('proforma-submitted');
      expect(await page.getByRole('button', { name: 'Submit proforma' }).count()).toBe(0);
      const row = await handle.db
        .selectFrom('proformas')
        .select(['status'])
        .where('id', '=', world.proformas.A)
        .executeTakeFirstOrThrow();
      expect(row.status).toBe('submitted');
    });

    console.log(
      `axe-core: ${pagesChecked} pages checked; minor or moderate findings: ${axeMinor.length ? axeMinor.join('; ') : 'none'}`,
    );
    expect(pagesChecked).toBeGreaterThanOrEqual(9);
    expect(axeFindings, 'axe: serious or critical violations').toEqual([]);
    // The form re-shown with its errors is itself a 422 response; anything else (a CSP violation,
    // a missing asset) is a failure.
    const unexpected = consoleErrors.filter((e) => !e.includes('status of 422'));
    expect(unexpected, 'browser console errors (a CSP violation shows here)').toEqual([]);
  });
});
