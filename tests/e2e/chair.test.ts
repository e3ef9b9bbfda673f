import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AxeAudit,
  BrowserProblems,
  type BrowserRig,
  deliverOutboxAsEml,
  openPage,
  saveScreenshot,
  screenshotSteps,
  signInUrlIn,
  startBrowserRig,
} from '../helpers/browser.ts';
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

describe('the chair reviews, edits and publishes an agenda in a real browser', () => {
  let rig: BrowserRig<ChairWorld>;
  let page: Page;
  const problems = new BrowserProblems();
  const axe = new AxeAudit();
  const step = screenshotSteps('chair-', () => page);
  const checkPage = (label: string) => axe.check(page, label);

  beforeAll(async () => {
    rig = await startBrowserRig(createChairWorld);
    page = problems.watch(await openPage(rig.browser, { width: 1280, height: 900 }));
  });
  afterAll(async () => {
    await rig?.close();
  });

  const agendaPath = () => `/sittings/${rig.world.sitting31}/agenda`;

  it('signs in, builds, moves an item, publishes after the confirmation and sees it published', async () => {
    const { base, handle, world } = rig;
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
      const { counts, mails } = await deliverOutboxAsEml(handle.db, { now: worldNow, publicBaseUrl: base });
      expect(counts.sent).toBe(1);
      signInUrl = signInUrlIn(mails[0]);
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
      await saveScreenshot(page, 'chair-item-refused');
      expect(await page.getByRole('link', { name: /is taken by family FAM-E/ }).count()).toBe(1);
    });

    await step('06-move', async () => {
      await page.getByLabel('Move to').selectOption({ label: 'Slot 5, 11:45 (free)' });
      await page.getByRole('button', { name: 'Move item' }).click();
      await page.getByText('The item has been moved. Family FAM-C is now at 11:45 to 12:15.').waitFor();
      await checkPage('agenda-moved');
      expect(await page.getByRole('heading', { name: '11:45 to 12:15 · Slot 5' }).count()).toBe(1);
      await saveScreenshot(page, 'chair-agenda-desktop');
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
      await saveScreenshot(page, 'chair-agenda-320');
      await page.goto(`${base}/sittings?hub=${world.hubId}`);
      await page.getByRole('heading', { name: 'Sittings' }).waitFor();
      await checkPage('sittings-320');
      await saveScreenshot(page, 'chair-sittings-320');
      expect(await page.getByText('Moved from Wednesday 14 April 2027 (Hub training day)').count()).toBe(1);
    });

    console.log(axe.summary());
    expect(axe.pagesChecked).toBeGreaterThanOrEqual(12);
    expect(axe.serious, 'axe: serious or critical violations').toEqual([]);
    // The refused move is itself a 409 response; anything else (a CSP violation, a missing asset) fails.
    const unexpected = problems.consoleErrors.filter((e) => !e.includes('status of 409'));
    expect(
      unexpected,
      `browser console errors (a CSP violation shows here); ${problems.failedResponses}`,
    ).toEqual([]);
  });
});
