import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { type BrowserRig, saveScreenshot } from '../helpers/browser.ts';
import { browserChecks, expectCleanRun, useSignedInBrowser } from '../helpers/signed-in-browser.ts';
import { type AllocationWorld, createAllocationWorld } from '../integration/web-allocation.world.ts';

/*
 * The coordinator, in Debian's chromium (signed in by a session made for the test: the emailed-link
 * sign-in itself is covered by the chair's browser test): opens the allocation queue of a sitting,
 * proposes lead agencies, accepts one proposal with one button, overrides another (refused without a
 * reason, then allocated with one), sends a missing proforma again; then the queue and the override
 * form at 320 px. axe-core on every page: no serious or critical violations; nothing wider than the
 * window. Screenshots at desktop width and 320 px in tests/e2e/screenshots/ (and of a failing step).
 */

describe('the coordinator accepts one proposal and overrides another in a real browser', () => {
  let rig: BrowserRig<AllocationWorld>, page: Page;
  const { problems, axe, step, checkPage } = browserChecks('coordinator-', () => page);
  useSignedInBrowser(createAllocationWorld, 'coordinator', problems, (opened) => ({ rig, page } = opened));

  const queuePath = () => `/sittings/${rig.world.sittingId}/allocations`;

  it('proposes, accepts one, overrides another with a reason, and sends a proforma again', async () => {
    const { base, handle, world } = rig;
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
      await saveScreenshot(page, 'coordinator-queue-desktop');
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
      await saveScreenshot(page, 'coordinator-override-refused');
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
      await saveScreenshot(page, 'coordinator-queue-320');
      await page.goto(`${base}${queuePath()}/requests/${world.requests.A}`);
      await page.getByRole('heading', { name: 'Choose the lead agency for EH-2027-0001' }).waitFor();
      await checkPage('override-320');
      await saveScreenshot(page, 'coordinator-override-320');
    });

    expectCleanRun(axe, problems);
  });
});
