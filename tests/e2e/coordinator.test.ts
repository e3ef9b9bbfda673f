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
 * The coordinator, in Debian's chromium (signed in by a session made for the test: the emailed-link
 * sign-in itself is covered by the chair's browser test): opens the allocation queue of a sitting,
 * proposes lead agencies, accepts one proposal with one button, overrides another (refused without a
 * reason, then allocated with one), sends a missing proforma again; then the queue and the override
 * form at 320 px. axe-core on every page: no serious or critical violations; nothing wider than the
 * window. Screenshots at desktop width and 320 px in tests/e2e/screenshots/ (and of a failing step).
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

describe('the coordinator accepts one proposal and overrides another in a real browser', () => {
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
    const session = await startSession(handle.db, world.users.coordinator, worldNow);
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
        .screenshot({ path: path.join(screenshots, `coordinator-${name}.png`), fullPage: true })
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

  const queuePath = () => `/sittings/${world.sittingId}/allocations`;

  it('proposes, accepts one, overrides another with a reason, and sends a proforma again', async () => {
    await step('01-queue', async () => {
      await page.goto(`${base}/`);
      await page.getByRole('link', { name: 'Allocation queue' }).click();
      await page.getByRole('heading', { name: 'Allocation queue' }).waitFor();
      await checkPage('sittings');
      await page.getByRole('link', { name: 'Wednesday 17 March 2027' }).click();
      await page.getByRole('heading', { name: 'Allocations for Wednesday 17 March 2027' }).waitFor();
      expect(new URL(page.url()).pathname).toBe(queuePath());
      await checkPage('queue-unproposed');
    });

    await step('02-propose', async () => {
      await page.getByRole('button', { name: 'Propose lead agencies' }).click();
      await page.getByText('The proposals have been worked out again from current capacity.').waitFor();
      await checkPage('queue-proposed');
      await page.screenshot({
        path: path.join(screenshots, 'coordinator-queue-desktop.png'),
        fullPage: true,
      });
    });

    await step('03-accept', async () => {
      await page.getByRole('button', { name: 'Accept Family Support North for EH-2027-0101' }).click();
      await page.getByText('The proposal for EH-2027-0101 has been accepted.').waitFor();
      await checkPage('queue-accepted');
      const a = await handle.db
        .selectFrom('allocations')
        .select(['agency_id', 'decision'])
        .where('request_id', '=', world.queued.R1)
        .executeTakeFirstOrThrow();
      expect(a).toEqual({ agency_id: world.agencies.A, decision: 'accepted' });
    });

    await step('04-override-refused', async () => {
      await page.getByRole('link', { name: 'Choose another agency for EH-2027-0102' }).click();
      await page.getByRole('heading', { name: 'Choose the lead agency for EH-2027-0102' }).waitFor();
      await checkPage('override');
      await page.getByLabel('Lead agency').selectOption({ label: 'Youth South (9 of 10 places free)' });
      await page.getByRole('button', { name: 'Allocate' }).click();
      await page.getByRole('heading', { name: 'There is a problem' }).waitFor();
      await checkPage('override-refused');
      expect(await page.getByRole('link', { name: 'Say why another agency should lead' }).count()).toBe(1);
      await page.screenshot({
        path: path.join(screenshots, 'coordinator-override-refused.png'),
        fullPage: true,
      });
    });

    await step('05-override', async () => {
      await page.getByLabel('Why should this agency lead?').fill('The older sibling already works with them');
      await page.getByRole('button', { name: 'Allocate' }).click();
      await page.getByText('EH-2027-0102 has been allocated to the agency you chose.').waitFor();
      await checkPage('queue-overridden');
      const a = await handle.db
        .selectFrom('allocations')
        .select(['agency_id', 'decision', 'override_reason'])
        .where('request_id', '=', world.queued.R2)
        .executeTakeFirstOrThrow();
      expect(a).toEqual({
        agency_id: world.agencies.B,
        decision: 'overridden',
        override_reason: 'The older sibling already works with them',
      });
    });

    await step('06-send-again', async () => {
      await page.getByRole('button', { name: 'Send again the proforma request for EH-2027-0001' }).click();
      await page.getByText('The proforma request for EH-2027-0001 has been sent again.').waitFor();
      await checkPage('queue-resent');
    });

    await step('07-phone', async () => {
      await page.setViewportSize({ width: 320, height: 640 });
      await page.goto(`${base}${queuePath()}`);
      await page.getByRole('heading', { name: 'Allocations for Wednesday 17 March 2027' }).waitFor();
      await checkPage('queue-320');
      await page.screenshot({ path: path.join(screenshots, 'coordinator-queue-320.png'), fullPage: true });
      await page.goto(`${base}${queuePath()}/requests/${world.requests.A}`);
      await page.getByRole('heading', { name: 'Choose the lead agency for EH-2027-0001' }).waitFor();
      await checkPage('override-320');
      await page.screenshot({ path: path.join(screenshots, 'coordinator-override-320.png'), fullPage: true });
    });

    console.log(
      `axe-core: ${pagesChecked} pages checked; minor or moderate findings: ${axeMinor.length ? axeMinor.join('; ') : 'none'}`,
    );
    expect(pagesChecked).toBeGreaterThanOrEqual(10);
    expect(axeFindings, 'axe: serious or critical violations').toEqual([]);
    // The refused override is itself a 422 response; anything else (a CSP violation) fails.
    expect(consoleErrors.filter((e) => !e.includes('status of 422'))).toEqual([]);
  });
});
