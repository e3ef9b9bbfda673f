import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { type BrowserRig, saveScreenshot } from '../helpers/browser.ts';
import { browserChecks, expectCleanRun, useSignedInBrowser } from '../helpers/signed-in-browser.ts';
import { type AllocationWorld, createAllocationWorld } from '../integration/web-allocation.world.ts';

/*
 * The agency, in Debian's chromium (signed in by a session made for the test: the emailed-link sign-in
 * itself is covered by the chair's browser test): sees its cases with review dates and the 12-month
 * mark, opens one, is refused closing it without an outcome, closes it and sees the place freed;
 * refused places below its active cases (shown on the field), then saves new places; the pages again
 * at 320 px. axe-core on every page: no serious or critical violations; nothing wider than the window.
 */

describe('the agency closes a case and sees its place freed in a real browser', () => {
  let rig: BrowserRig<AllocationWorld>, page: Page;
  const { problems, axe, step, checkPage } = browserChecks('agency-', () => page);
  useSignedInBrowser(createAllocationWorld, 'agencyA', problems, (opened) => ({ rig, page } = opened));

  const closed = () =>
    rig.handle.db
      .selectFrom('allocations')
      .select(['closed_at', 'outcome'])
      .where('request_id', '=', rig.world.requests.A)
      .executeTakeFirstOrThrow();

  it('closes a case with an outcome, sees the place freed, and changes its places', async () => {
    const { base } = rig;
    await step('01-cases', async () => {
      await page.goto(`${base}/`);
      await page.getByRole('link', { name: 'Your cases and places' }).click();
      await page.getByRole('heading', { name: 'Family Support North' }).waitFor();
      await checkPage('agency');
      expect(await page.locator('#capacity').innerText()).toMatch(/Active cases\s+1\s+Free places\s+1/);
      expect(await page.getByRole('row', { name: 'EH-2027-0001 1 Jun 2027 1 Mar 2028' }).count()).toBe(1);
      await saveScreenshot(page, 'agency-cases-desktop');
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
      await saveScreenshot(page, 'agency-cases-320');
      await page.goto(`${base}/agency/capacity`);
      await checkPage('places-320');
      await page.getByRole('link', { name: 'Back to your cases' }).click();
      await page.getByRole('link', { name: 'EH-2027-0001' }).click();
      await page.getByRole('heading', { name: 'Case EH-2027-0001' }).waitFor();
      await checkPage('case-320');
      await saveScreenshot(page, 'agency-case-320');
    });

    expectCleanRun(axe, problems);
  });
});
