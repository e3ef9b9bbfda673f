import { mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import type { DbHandle } from '../../src/db/client.ts';
import { buildApp } from '../../src/web/app.ts';
import { createTestDatabase, engines } from '../helpers/database.ts';
import { createWorld, type World, worldNow } from '../helpers/web-world.ts';

/*
 * An admin, in Debian's chromium: edits a hub, previews the sittings (a bank holiday skipped by
 * name), is stopped by a bad RRULE with the field named, then saves; once with the service's
 * scripts blocked at desktop width (the flow needs none) and once at 320 px with them. axe-core runs on every page visited: no
 * serious or critical violations; no page is wider than the screen. The admin's session is started
 * directly (signing in by the emailed link has its own browser test). A failing step leaves a
 * screenshot in tests/e2e/screenshots/.
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

describe('admin edits a hub in a real browser', () => {
  let handle: DbHandle;
  let world: World;
  let app: FastifyInstance;
  let browser: Browser;
  let base: string;
  let page: Page;
  const axeFindings: string[] = [];
  const consoleErrors: string[] = [];
  let pagesChecked = 0;
  let blockedScripts = 0;

  beforeAll(async () => {
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
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await handle?.close();
  });

  async function adminContext(options: { width: number; javaScript: boolean }): Promise<BrowserContext> {
    const context = await browser.newContext({ viewport: { width: options.width, height: 800 } });
    // "JavaScript off" for the service: none of its scripts may load (axe-core still runs through
    // the DevTools protocol; Chromium's own switch would stop axe's timers too).
    if (!options.javaScript)
      await context.route(/\.m?js(\?|$)/, (route) => {
        blockedScripts += 1;
        return route.abort();
      });
    const sessionId = world.sessions.admin.cookie.split('=')[1] as string;
    await context.addCookies([{ name: 'hub_session', value: sessionId, url: base }]);
    page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error' && options.javaScript) consoleErrors.push(m.text());
    });
    return context;
  }

  async function step(name: string, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error) {
      await page
        .screenshot({ path: path.join(screenshots, `admin-${name}.png`), fullPage: true })
        .catch(() => {});
      throw error;
    }
  }

  /** axe-core on the current page (through the DevTools protocol, so the page's CSP stays on). */
  async function checkPage(label: string, maxWidth: number): Promise<void> {
    const session = await page.context().newCDPSession(page);
    const evaluate = async (expression: string) =>
      (await session.send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true })).result
        .value as unknown;
    await evaluate(axeSource);
    const violations = (await evaluate(
      'axe.run().then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length })))',
    )) as Array<{ id: string; impact: string; help: string; nodes: number }>;
    await session.detach();
    pagesChecked += 1;
    for (const v of violations)
      if (v.impact === 'serious' || v.impact === 'critical')
        axeFindings.push(`${label}: ${v.id} (${v.impact}) ${v.help} x${v.nodes}`);
    const width = (await page.evaluate('document.documentElement.scrollWidth')) as number;
    expect(width, `${label} is wider than the screen`).toBeLessThanOrEqual(maxWidth);
  }

  it('previews and saves a hub without JavaScript, naming a bad RRULE on the way', async () => {
    const context = await adminContext({ width: 1280, javaScript: false });
    await step('01-admin', async () => {
      await page.goto(`${base}/admin`);
      expect(blockedScripts).toBeGreaterThan(0); // hub.mjs was asked for and refused
      await page.getByRole('heading', { name: 'Admin', level: 1 }).waitFor();
      await checkPage('admin', 1280);
      await page
        .getByRole('navigation', { name: 'Admin sections' })
        .getByRole('link', { name: 'Hubs' })
        .click();
      await page.getByRole('heading', { name: 'Hubs' }).waitFor();
      await checkPage('hubs', 1280);
      await page.getByRole('link', { name: 'Test hub' }).click();
      await page.getByRole('heading', { name: 'Test hub' }).waitFor();
      await checkPage('hub', 1280);
    });

    await step('02-bad-rrule', async () => {
      await page.getByLabel('Recurrence rule (RRULE)').fill('FREQ=WEEKLY;BYDAY=XX');
      await page.getByRole('button', { name: 'Preview sittings' }).click();
      await page.getByRole('heading', { name: 'There is a problem' }).waitFor();
      await checkPage('hub-error', 1280);
      const link = page
        .locator('.govuk-error-summary')
        .getByRole('link', { name: /Recurrence rule: not a valid RRULE/ });
      expect(await link.getAttribute('href')).toBe('#rrule');
      expect(await page.getByLabel('Recurrence rule (RRULE)').inputValue()).toBe('FREQ=WEEKLY;BYDAY=XX');
      const stored = await handle.db
        .selectFrom('hubs')
        .select('rrule')
        .where('id', '=', world.hubId)
        .executeTakeFirst();
      expect(stored?.rrule).toBe('FREQ=WEEKLY;INTERVAL=2;BYDAY=WE');
    });

    await step('03-preview', async () => {
      await page.getByLabel('Recurrence rule (RRULE)').fill('FREQ=WEEKLY;BYDAY=MO');
      await page.getByRole('group', { name: 'First sitting' }).getByLabel('Day').fill('1');
      await page.getByLabel('Start time').fill('10:00');
      await page.getByRole('button', { name: 'Preview sittings' }).click();
      await page.getByRole('heading', { name: /Preview: the sittings/ }).waitFor();
      await checkPage('hub-preview', 1280);
      const skipped = page.locator('#preview-skipped');
      expect(
        await skipped.getByRole('row', { name: /Monday 29 March 2027 Easter Monday No sitting/ }).count(),
      ).toBe(1);
      expect(
        await page
          .locator('#preview-sittings')
          .getByRole('row', { name: /Monday 22 March 2027 10:00 to 13:00/ })
          .count(),
      ).toBe(1);
    });

    await step('04-save', async () => {
      await page.getByRole('button', { name: 'Save hub' }).click();
      await page.getByText('Hub saved.').waitFor();
      await checkPage('hub-saved', 1280);
      expect(await page.getByText(/Sittings re-planned: \d+ added, 1 moved, \d+ cancelled/).count()).toBe(1);
      const hub = await handle.db
        .selectFrom('hubs')
        .select(['rrule', 'start_time'])
        .where('id', '=', world.hubId)
        .executeTakeFirstOrThrow();
      expect(hub).toEqual({ rrule: 'FREQ=WEEKLY;BYDAY=MO', start_time: '10:00' });
      const moved = await handle.db
        .selectFrom('sittings')
        .select('date')
        .where('id', '=', world.sittingId)
        .executeTakeFirstOrThrow();
      expect(String(moved.date)).toBe('2027-03-22');
    });
    await context.close();
  });

  it('works at 320 px wide with JavaScript on, across the admin pages', async () => {
    const context = await adminContext({ width: 320, javaScript: true });
    await step('05-hub-320', async () => {
      await page.goto(`${base}/admin/hubs/${world.hubId}`);
      expect(await page.evaluate("document.body.classList.contains('govuk-frontend-supported')")).toBe(true);
      await page.getByLabel('Break after slot (optional)').fill('3');
      await page.getByLabel('Break length').fill('15');
      await page.getByRole('button', { name: 'Preview sittings' }).click();
      await page.getByRole('heading', { name: /Preview: the sittings/ }).waitFor();
      await checkPage('hub-preview-320', 320);
      await page.screenshot({ path: path.join(screenshots, 'admin-hub-preview-320.png'), fullPage: true });
      await page.getByRole('button', { name: 'Save hub' }).click();
      await page.getByText('Hub saved.').waitFor();
      await checkPage('hub-saved-320', 320);
    });
    for (const [name, url] of [
      ['closures', `/admin/closures?hub=${world.hubId}`],
      ['schools', '/admin/schools'],
      ['school', `/admin/schools/${world.schools.A.id}`],
      ['agencies', '/admin/agencies'],
      ['agency', `/admin/agencies/${world.agencies.A}`],
      ['people', '/admin/users'],
      ['person', `/admin/users/${world.users.schoolA}`],
      ['needs', '/admin/needs'],
      ['audit', '/admin/audit'],
      ['emails', '/admin/outbox'],
      ['queue', '/admin/queue'],
    ] as const)
      await step(`06-${name}-320`, async () => {
        await page.goto(`${base}${url}`);
        await page.locator('h1').waitFor();
        await checkPage(`${name}-320`, 320);
      });
    await context.close();
    console.log(`axe-core: ${pagesChecked} pages checked, ${axeFindings.length} serious or critical`);
    for (const finding of axeFindings) console.log(finding);
    expect(axeFindings).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });
});
