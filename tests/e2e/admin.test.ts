import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AxeAudit,
  BrowserProblems,
  type BrowserRig,
  saveScreenshot,
  screenshotSteps,
  startBrowserRig,
} from '../helpers/browser.ts';
import { createWorld, type World } from '../helpers/web-world.ts';

/*
 * An admin, in Debian's chromium: edits a hub, previews the sittings (a bank holiday skipped by
 * name), is stopped by a bad RRULE with the field named, then saves; once with the service's
 * scripts blocked at desktop width (the flow needs none) and once at 320 px with them. axe-core runs on every page visited: no
 * serious or critical violations; no page is wider than the screen. The admin's session is started
 * directly (signing in by the emailed link has its own browser test). A failing step leaves a
 * screenshot in tests/e2e/screenshots/.
 */

describe('admin edits a hub in a real browser', () => {
  let rig: BrowserRig<World>;
  let page: Page;
  const problems = new BrowserProblems();
  const axe = new AxeAudit();
  const step = screenshotSteps('admin-', () => page);
  const checkPage = (label: string) => axe.check(page, label);
  let blockedScripts = 0;

  beforeAll(async () => {
    rig = await startBrowserRig(createWorld);
  });
  afterAll(async () => {
    await rig?.close();
  });

  async function adminContext(options: { width: number; javaScript: boolean }): Promise<BrowserContext> {
    const context = await rig.browser.newContext({ viewport: { width: options.width, height: 800 } });
    // "JavaScript off" for the service: none of its scripts may load (axe-core still runs through
    // the DevTools protocol; Chromium's own switch would stop axe's timers too).
    if (!options.javaScript)
      await context.route(/\.m?js(\?|$)/, (route) => {
        blockedScripts += 1;
        return route.abort();
      });
    const sessionId = rig.world.sessions.admin.cookie.split('=')[1] as string;
    await context.addCookies([{ name: 'hub_session', value: sessionId, url: rig.base }]);
    page = await context.newPage();
    // With the scripts blocked, their refused loads are expected console errors.
    if (options.javaScript) problems.watch(page);
    return context;
  }

  it('previews and saves a hub without JavaScript, naming a bad RRULE on the way', async () => {
    const { base, handle, world } = rig;
    const context = await adminContext({ width: 1280, javaScript: false });
    await step('01-admin', async () => {
      await page.goto(`${base}/admin`);
      expect(blockedScripts).toBeGreaterThan(0); // hub.mjs was asked for and refused
      await page.getByRole('heading', { name: 'Admin', level: 1 }).waitFor();
      await checkPage('admin');
      await page
        .getByRole('navigation', { name: 'Admin sections' })
        .getByRole('link', { name: 'Hubs' })
        .click();
      await page.getByRole('heading', { name: 'Hubs' }).waitFor();
      await checkPage('hubs');
      await page.getByRole('link', { name: 'Test hub' }).click();
      await page.getByRole('heading', { name: 'Test hub' }).waitFor();
      await checkPage('hub');
    });

    await step('02-bad-rrule', async () => {
      await page.getByLabel('Recurrence rule (RRULE)').fill('FREQ=WEEKLY;BYDAY=XX');
      await page.getByRole('button', { name: 'Preview sittings' }).click();
      await page.getByRole('heading', { name: 'There is a problem' }).waitFor();
      await checkPage('hub-error');
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
      await checkPage('hub-preview');
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
      await checkPage('hub-saved');
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
    const { base, world } = rig;
    const context = await adminContext({ width: 320, javaScript: true });
    await step('05-hub-320', async () => {
      await page.goto(`${base}/admin/hubs/${world.hubId}`);
      expect(await page.evaluate("document.body.classList.contains('govuk-frontend-supported')")).toBe(true);
      await page.getByLabel('Break after slot (optional)').fill('3');
      await page.getByLabel('Break length').fill('15');
      await page.getByRole('button', { name: 'Preview sittings' }).click();
      await page.getByRole('heading', { name: /Preview: the sittings/ }).waitFor();
      await checkPage('hub-preview-320');
      await saveScreenshot(page, 'admin-hub-preview-320');
      await page.getByRole('button', { name: 'Save hub' }).click();
      await page.getByText('Hub saved.').waitFor();
      await checkPage('hub-saved-320');
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
        await checkPage(`${name}-320`);
      });
    await context.close();
    console.log(`${axe.summary()}; ${axe.serious.length} serious or critical`);
    for (const finding of axe.serious) console.log(finding);
    expect(axe.serious).toEqual([]);
    expect(problems.consoleErrors).toEqual([]);
  });
});
