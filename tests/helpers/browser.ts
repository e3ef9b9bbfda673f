import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { type ParsedMail, simpleParser } from 'mailparser';
import { type Browser, chromium, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { dispatchOutbox } from '../../jobs/send-email.ts';
import type { Database } from '../../schema/database.ts';
import { loadConfig } from '../../src/config.ts';
import { type ChangeFeed, openChangeFeed } from '../../src/db/change-feed.ts';
import type { DbHandle } from '../../src/db/client.ts';
import type { DispatchCounts } from '../../src/email/outbox.service.ts';
import { createFileTransport } from '../../src/email/transport.ts';
import { buildApp } from '../../src/web/app.ts';
import { createTestDatabase, engines } from './database.ts';
import { worldNow } from './web-world.ts';

/*
 * What every browser test (tests/e2e/**) needs around its steps: a database with a world in it, the
 * app on a free port, Debian's chromium, a record of console errors and failed responses, steps that
 * leave a screenshot when they fail, axe-core on each page visited, and emails delivered through the
 * outbox as .eml files.
 */

/** Where browser tests save their screenshots: tests/e2e/screenshots/. */
export const screenshotsDir = fileURLToPath(new URL('../e2e/screenshots/', import.meta.url));

const axeSource = readFileSync(
  fileURLToPath(new URL('../../node_modules/axe-core/axe.min.js', import.meta.url)),
  'utf8',
);

/** A TCP port free on 127.0.0.1 at the time of asking (the OS picks it). */
export async function freePort(): Promise<number> {
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

/** Debian's chromium, headless, through playwright-core (no downloaded browser). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/** A running browser test's surroundings; `close()` stops the browser, the app and the database. */
export interface BrowserRig<W> {
  handle: DbHandle;
  world: W;
  app: FastifyInstance;
  /** The app's origin, e.g. `http://127.0.0.1:41234` (no trailing slash). */
  base: string;
  browser: Browser;
  close(): Promise<void>;
}

/**
 * Starts a browser test: a migrated database (real PostgreSQL when the suite has it, else PGlite),
 * `seed` run on it, the app (with the change feed, as `hub serve` runs) listening on a free port of
 * 127.0.0.1 with its clock fixed at `worldNow`, and chromium. Makes sure the screenshots folder exists. Call it in `beforeAll`, `close()` in `afterAll`.
 */
export async function startBrowserRig<W>(seed: (db: Kysely<Database>) => Promise<W>): Promise<BrowserRig<W>> {
  const handle = await createTestDatabase(engines.includes('postgres') ? 'postgres' : 'pglite');
  let app: FastifyInstance | undefined;
  let changes: ChangeFeed | undefined;
  try {
    const world = await seed(handle.db);
    // As `hub serve` runs: the change feed on, so pages and sessions are remembered between views.
    changes = await openChangeFeed(handle);
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const config = loadConfig({
      LOG_LEVEL: 'silent',
      PUBLIC_BASE_URL: base,
      SESSION_SECRET: 'e2e-session-secret-of-at-least-32-characters',
    });
    app = await buildApp({ db: handle.db, config, now: () => worldNow, logger: false, changes });
    await app.listen({ port, host: '127.0.0.1' });
    mkdirSync(screenshotsDir, { recursive: true });
    const browser = await launchChromium();
    const started = app;
    const feed = changes;
    return {
      handle,
      world,
      app: started,
      base,
      browser,
      async close() {
        await browser.close();
        await started.close();
        await feed.close();
        await handle.close();
      },
    };
  } catch (error) {
    await app?.close();
    await changes?.close();
    await handle.close();
    throw error;
  }
}

/** Console errors and HTTP error responses seen by the pages being watched. */
export class BrowserProblems {
  /** `text (source url)` of each console message of type error. */
  readonly consoleErrors: string[] = [];
  /** `status pathname` of each response with status 400 or above. */
  readonly failedResponses: string[] = [];

  /** Records this page's console errors and failed responses from now on; returns the page. */
  watch(page: Page): Page {
    page.on('console', (m) => {
      if (m.type() === 'error') this.consoleErrors.push(`${m.text()} (${m.location().url})`);
    });
    page.on('response', (r) => {
      if (r.status() >= 400) this.failedResponses.push(`${r.status()} ${new URL(r.url()).pathname}`);
    });
    return page;
  }
}

/** A new page in a new browser context (no cookies) of the given viewport, in CSS pixels. */
export async function openPage(browser: Browser, viewport: { width: number; height: number }): Promise<Page> {
  const context = await browser.newContext({ viewport });
  return context.newPage();
}

/** Saves a full-page screenshot as tests/e2e/screenshots/<name>.png. */
export async function saveScreenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(screenshotsDir, `${name}.png`), fullPage: true });
}

/**
 * A `step(name, work)` for a test: runs `work`; if it throws, saves a full-page screenshot of the
 * current page as `<prefix><name>.png` (best effort) and rethrows. `currentPage` is asked at failure
 * time, so a test may switch pages between steps.
 */
export function screenshotSteps(
  prefix: string,
  currentPage: () => Page,
): (name: string, work: () => Promise<void>) => Promise<void> {
  return async (name, work) => {
    try {
      await work();
    } catch (error) {
      await saveScreenshot(currentPage(), `${prefix}${name}`).catch(() => {});
      throw error;
    }
  };
}

/** Collects axe-core findings over the pages a test checks. */
export class AxeAudit {
  pagesChecked = 0;
  /** Serious or critical violations, `label: id (impact) help xNodes`: a test expects none. */
  readonly serious: string[] = [];
  /** Minor or moderate violations, same format: reported, not failed on. */
  readonly minor: string[] = [];

  /**
   * Runs axe-core on the page as it is (injected through the DevTools protocol, so the page's CSP
   * stays on and the service's own scripts need not load), files the violations under `label`, and
   * expects nothing on the page to be wider than the window (the 320 px phone check).
   */
  async check(page: Page, label: string): Promise<void> {
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
    this.pagesChecked += 1;
    for (const v of violations)
      (v.impact === 'serious' || v.impact === 'critical' ? this.serious : this.minor).push(
        `${label}: ${v.id} (${v.impact}) ${v.help} x${v.nodes}`,
      );
    const [scroll, inner] = await page.evaluate<[number, number]>(
      '[document.documentElement.scrollWidth, window.innerWidth]',
    );
    expect(scroll, `${label} is wider than the window (${inner} px)`).toBeLessThanOrEqual(inner);
  }

  /** One line for the test's log: pages checked and the minor findings. */
  summary(): string {
    const minor = this.minor.length ? this.minor.join('; ') : 'none';
    return `axe-core: ${this.pagesChecked} pages checked; minor or moderate findings: ${minor}`;
  }
}

/**
 * Sends every due outbox email as the worker does (`dispatchOutbox`: sign-in and proforma links
 * minted as each goes out) through the file transport into a fresh temporary folder, and returns the
 * dispatcher's counts with the .eml files parsed (in file-name order). The folder is removed after.
 */
export async function deliverOutboxAsEml(
  db: Kysely<Database>,
  options: { now: Date; publicBaseUrl: string },
): Promise<{ counts: DispatchCounts; mails: ParsedMail[] }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'hub-e2e-outbox-'));
  try {
    const counts = await dispatchOutbox(db, createFileTransport(dir, 'Hub <hub@council.test>'), options);
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.eml'))
      .sort();
    const mails = await Promise.all(files.map((f) => simpleParser(readFileSync(path.join(dir, f)))));
    return { counts, mails };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The absolute sign-in link (`http://…/sign-in/<token>`) in an email's text, or '' when there is none. */
export function signInUrlIn(mail: ParsedMail | undefined): string {
  return /(http:\/\/\S+\/sign-in\/[A-Za-z0-9_-]+)/.exec(mail?.text ?? '')?.[1] ?? '';
}

/** The email's To addresses as one string ('' when there are none). */
export function recipientsOf(mail: ParsedMail | undefined): string {
  return mail?.to && 'text' in mail.to ? mail.to.text : '';
}
