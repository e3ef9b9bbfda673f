import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AxeAudit,
  BrowserProblems,
  type BrowserRig,
  deliverOutboxAsEml,
  openPage,
  recipientsOf,
  screenshotSteps,
  signInUrlIn,
  startBrowserRig,
} from '../helpers/browser.ts';
import { createWorld, mintProformaLink, type World, worldNow } from '../helpers/web-world.ts';

/*
 * A school's designated safeguarding lead, in Debian's chromium, at 320 px wide:
 * signs in by the emailed link (sent through the outbox into .eml files), then opens the emailed
 * proforma link without signing in, saves a draft, submits, and sees it read-only. axe-core runs on
 * every page: no serious or critical violations. A failing step leaves a screenshot in
 * tests/e2e/screenshots/.
 */

describe('school proforma in a real browser', () => {
  let rig: BrowserRig<World>;
  let page: Page;
  const problems = new BrowserProblems();
  const axe = new AxeAudit();
  const step = screenshotSteps('', () => page);
  const checkPage = (label: string) => axe.check(page, label);

  beforeAll(async () => {
    rig = await startBrowserRig(createWorld);
    page = problems.watch(await openPage(rig.browser, { width: 320, height: 640 }));
  });
  afterAll(async () => {
    await rig?.close();
  });

  it('signs in by the emailed link, then fills in the proforma from its own link: draft, submit, read-only', async () => {
    const { base, browser, handle, world } = rig;
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
      const { counts, mails } = await deliverOutboxAsEml(handle.db, { now: worldNow, publicBaseUrl: base });
      expect(counts.sent).toBe(1);
      expect(recipientsOf(mails[0])).toBe('dsl@abbey.test');
      signInUrl = signInUrlIn(mails[0]);
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
      page = problems.watch(await openPage(browser, { width: 320, height: 640 }));
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

    console.log(axe.summary());
    expect(axe.pagesChecked).toBeGreaterThanOrEqual(9);
    expect(axe.serious, 'axe: serious or critical violations').toEqual([]);
    // The form re-shown with its errors is itself a 422 response; anything else (a CSP violation,
    // a missing asset) is a failure.
    const unexpected = problems.consoleErrors.filter((e) => !e.includes('status of 422'));
    expect(unexpected, 'browser console errors (a CSP violation shows here)').toEqual([]);
  });
});
