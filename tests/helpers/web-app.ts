import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll } from 'vitest';
import type { Database } from '../../schema/database.ts';
import type { Config } from '../../src/config.ts';
import type { DbHandle } from '../../src/db/client.ts';
import { buildApp } from '../../src/web/app.ts';
import { createTestDatabase, type Engine } from './database.ts';
import { type Signed, testConfig, type World, worldNow } from './web-world.ts';

/*
 * The set-up the route tests share: one database per file with a world in it and the app over it,
 * and page requests made as a signed-in principal.
 */

/** A route test file's database, the world built in it, and the app over it (clock at `worldNow`). */
export interface WebApp<W extends World = World> {
  handle: DbHandle;
  world: W;
  app: FastifyInstance;
}

/**
 * Before the file's tests: a database of its own on `engine`, the world `build` makes in it
 * (`createWorld` or a larger one) and the app over it, handed to `use`; after them, the app and the
 * database are closed. `config` defaults to `testConfig` (no Redis).
 */
export function useWebApp<W extends World>(
  engine: Engine,
  build: (db: Kysely<Database>) => Promise<W>,
  use: (opened: WebApp<W>) => void,
  config: Readonly<Config> = testConfig,
): void {
  let handle: DbHandle | undefined;
  let app: FastifyInstance | undefined;
  beforeAll(async () => {
    handle = await createTestDatabase(engine);
    const world = await build(handle.db);
    app = await buildApp({ db: handle.db, config, now: () => worldNow, logger: false });
    use({ handle, world, app });
  });
  afterAll(async () => {
    await app?.close();
    await handle?.close();
  });
}

/**
 * Page requests as a signed-in principal (`who`, else `defaultWho`; with neither, anonymous): GET
 * with its session cookie; POST a form with the cookie and its form token. `parts` is read at each
 * request, so it may name variables that are set only before the tests run.
 */
export function sessionPages(parts: () => { app: FastifyInstance; world: World }, defaultWho?: Signed) {
  const cookie = (who: Signed | undefined) => (who ? { cookie: parts().world.sessions[who].cookie } : {});
  return {
    page: (url: string, who: Signed | undefined = defaultWho) =>
      parts().app.inject({ url, headers: cookie(who) }),
    post: (
      url: string,
      payload: Record<string, string | string[]> = {},
      who: Signed | undefined = defaultWho,
    ) =>
      parts().app.inject({
        method: 'POST',
        url,
        headers: cookie(who),
        payload: who ? { _csrf: parts().world.sessions[who].csrf, ...payload } : payload,
      }),
  };
}

/** A page's text: tags dropped, apostrophes decoded, white space collapsed. */
export const textOf = (html: string) =>
  html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#39;|&#x27;/g, "'")
    .replace(/\s+/g, ' ');

/** The text of the page's error summary (empty when there is none). */
export const errorSummary = (html: string) =>
  textOf(/<div class="govuk-error-summary"[\s\S]*?<\/ul>/.exec(html)?.[0] ?? '');
