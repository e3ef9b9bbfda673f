/** Where the integration suite finds its servers (the machine's defaults unless overridden). */
export const testEnv = {
  databaseUrl: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  /** Which engines the database-backed suites run on; `HUB_TEST_ENGINES=pglite` for a laptop. */
  engines: (process.env.HUB_TEST_ENGINES ?? 'postgres,pglite').split(',') as Array<'postgres' | 'pglite'>,
};
