import { mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSession } from '../../src/auth/session.service.ts';
import { loadConfig } from '../../src/config.ts';
import type { DbHandle } from '../../src/db/client.ts';
import { buildApp } from '../../src/web/app.ts';
import { createTestDatabase, engines } from '../helpers/database.ts';
import { worldNow } from '../helpers/web-world.ts';
import { type AllocationWorld, createAllocationWorld } from '../integration/web-allocation.world.ts';

/*
 * The agency, in Debian's chromium (signed in by a session made for the test: the emailed-link sign-in
 * itself is covered by the chair's browser test): sees its cases with review dates and the 12-month
 * mark, opens one, is refused closing it without an outcome, closes it and sees the place freed;
 * refused places below its active cases (shown on the field), then saves new places; the pages again
 * at 320 px. axe-core on every page: no serious or critical violations; nothing wider than the window.
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

describe('the agency closes a case and sees its place freed in a real browser', () => {
  let handle: DbHandle;
  let world: AllocationWorld;
  let app: FastifyInstance;
  let browser: Browser;
  let page: Page;
  let base: string;
  const consoleErrors: string[] = [];
  const axeFindings: string[] = [];
  const axeMinor: string[] = [];
  let pagesChecked = 0;

  beforeAll(async () => {
    handle = await createTestDatabase(engines.includes('postgres') ? 'postgres' : 'pglite');
    world = await createAllocationWorld(handle.db);
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
    const session = await startSession(handle.db, world.users.agencyA, worldNow);
    await context.addCookies([{ name: 'hub_session', value: session.sessionId, url: base }]);
    page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(`${m.text()} (${m.location().url})`);
    });
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await handle?.close();
  });

  async function step(name: string, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error) {
      await page
        .screenshot({ path: path.join(screenshots, `agency-${name}.png`), fullPage: true })
        .catch(() => {});
      throw error;
    }
  }

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
    const [scroll, inner] = await page.evaluate<[number, number]>(
      '[document.documentElement.scrollWidth, window.innerWidth]',
    );
    expect(scroll, `${label} is wider than the window`).toBeLessThanOrEqual(inner);
  }

  const closed = () =>
    handle.db
      .selectFrom('allocations')
      .select(['closed_at', 'outcome'])
      .where('request_id', '=', world.requests.A)
      .executeTakeFirstOrThrow();

  it('closes a case with an outcome, sees the place freed, and changes its places', async () => {
    await step('01-cases', async () => {
      await page.goto(`${base}/`);
      await page.getByRole('link', { name: 'Your cases and places' }).click();
      await page.getByRole('heading', { name: 'Family Support North' }).waitFor();
      await checkPage('agency');
      expect(await page.locator('#capacity').innerText()).toMatch(/Active cases\s+1\s+Free places\s+1/);
      expect(await page.getByRole('row', { name: 'EH-2027-0001 1 Jun 2027 1 Mar 2028' }).count()).toBe(1);
      await page.screenshot({ path: path.join(screenshots, 'agency-cases-desktop.png'), fullPage: true });
    });

    await step('02-close-refused', async () => {
      await page.getByRole('link', { name: 'EH-2027-0001' }).click();
      await page.getByRole('heading', { name: 'Case EH-2027-0001' }).waitFor();
      await checkPage('case');
      await page.getByRole('button', { name: 'Close case' }).click();
      await page.getByRole('heading', { name: 'There is a problem' }).waitFor();
      await checkPage('case-refused');
      expect(await page.getByRole('link', { name: 'Choose the outcome of the case' }).count()).toBe(1);
      expect((await closed()).closed_at).toBeNull();
    });

    await step('03-close', async () => {
      await page.getByLabel('Outcomes met: the plan is complete').check();
      await page.getByRole('button', { name: 'Close case' }).click();
      await page.getByText('The case has been closed and its place freed.').waitFor();
      await checkPage('agency-closed');
      expect(await page.locator('#capacity').innerText()).toMatch(/Active cases\s+0\s+Free places\s+2/);
      expect((await closed()).outcome).toBe('outcomes-met');
    });

    await step('04-places', async () => {
      await page.getByRole('link', { name: 'Change places' }).click();
      await page.getByRole('heading', { name: 'Your places' }).waitFor();
      await checkPage('places');
      await page.getByLabel('How many cases can you lead at once?').fill('-1');
      await page.getByRole('button', { name: 'Save places' }).click();
      await page.getByRole('heading', { name: 'There is a problem' }).waitFor();
      await checkPage('places-refused');
      await page.getByLabel('How many cases can you lead at once?').fill('4');
      await page.getByRole('button', { name: 'Save places' }).click();
      await page.getByText('Your places have been updated.').waitFor();
      await checkPage('agency-places-saved');
      expect(await page.locator('#capacity').innerText()).toMatch(/Places\s+4/);
    });

    await step('05-phone', async () => {
      await page.setViewportSize({ width: 320, height: 640 });
      await page.goto(`${base}/agency`);
      await page.getByRole('heading', { name: 'Family Support North' }).waitFor();
      await checkPage('agency-320');
      await page.screenshot({ path: path.join(screenshots, 'agency-cases-320.png'), fullPage: true });
      await page.goto(`${base}/agency/capacity`);
      await checkPage('places-320');
      await page.getByRole('link', { name: 'Back to your cases' }).click();
      await page.getByRole('link', { name: 'EH-2027-0001' }).click();
      await page.getByRole('heading', { name: 'Case EH-2027-0001' }).waitFor();
      await checkPage('case-320');
      await page.screenshot({ path: path.join(screenshots, 'agency-case-320.png'), fullPage: true });
    });

    console.log(
      `axe-core: ${pagesChecked} pages checked; minor or moderate findings: ${axeMinor.length ? axeMinor.join('; ') : 'none'}`,
    );
    expect(pagesChecked).toBeGreaterThanOrEqual(10);
    expect(axeFindings, 'axe: serious or critical violations').toEqual([]);
    // The refusals are themselves 422 responses; anything else (a CSP violation) fails.
    expect(consoleErrors.filter((e) => !e.includes('status of 422'))).toEqual([]);
  });
});
