import type { Kysely } from 'kysely';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import type { Database } from '../../schema/database.ts';
import { startSession } from '../../src/auth/session.service.ts';
import {
  AxeAudit,
  BrowserProblems,
  type BrowserRig,
  openPage,
  screenshotSteps,
  startBrowserRig,
} from './browser.ts';
import { type Signed, type World, worldNow } from './web-world.ts';

/*
 * A browser test that starts signed in as one user of its world, by a session made for the test
 * (the emailed-link sign-in itself is covered by the chair's browser test).
 */

/** The rig and the signed-in desktop page of a browser test. */
export interface SignedInBrowser<W> {
  rig: BrowserRig<W>;
  page: Page;
}

/**
 * What a browser test checks as it goes: the problems its pages show, the axe audit, `step` (a
 * failing step leaves a screenshot `<prefix><name>.png`) and `checkPage(label)` (axe on the page as
 * it is). `currentPage` is asked at each use.
 */
export function browserChecks(prefix: string, currentPage: () => Page) {
  const problems = new BrowserProblems();
  const axe = new AxeAudit();
  return {
    problems,
    axe,
    step: screenshotSteps(prefix, currentPage),
    checkPage: (label: string) => axe.check(currentPage(), label),
  };
}

/**
 * Before the file's tests: the rig on the world `seed` makes, and a 1280 x 900 page watched by
 * `problems` and signed in as `who`, handed to `use`; after them, the rig is closed.
 */
export function useSignedInBrowser<W extends World>(
  seed: (db: Kysely<Database>) => Promise<W>,
  who: Signed,
  problems: BrowserProblems,
  use: (opened: SignedInBrowser<W>) => void,
): void {
  let rig: BrowserRig<W> | undefined;
  beforeAll(async () => {
    rig = await startBrowserRig(seed);
    const page = problems.watch(await openPage(rig.browser, { width: 1280, height: 900 }));
    const session = await startSession(rig.handle.db, rig.world.users[who], worldNow);
    await page.context().addCookies([{ name: 'hub_session', value: session.sessionId, url: rig.base }]);
    use({ rig, page });
  });
  afterAll(async () => {
    await rig?.close();
  });
}

/**
 * The end of a browser test: axe's summary logged; at least `minPages` pages checked, none with a
 * serious or critical violation; no console error but the 422 responses of the refusals the test
 * made on purpose (anything else, such as a CSP violation, fails).
 */
export function expectCleanRun(axe: AxeAudit, problems: BrowserProblems, minPages = 10): void {
  console.log(axe.summary());
  expect(axe.pagesChecked).toBeGreaterThanOrEqual(minPages);
  expect(axe.serious, 'axe: serious or critical violations').toEqual([]);
  expect(problems.consoleErrors.filter((e) => !e.includes('status of 422'))).toEqual([]);
}
