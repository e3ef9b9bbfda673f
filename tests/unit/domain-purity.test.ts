import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// src/domain is the functional core: no IO, no clock, no randomness (STYLE.md, "Our shape" 1).
const dir = new URL('../../src/domain/', import.meta.url);
const forbidden: Array<[RegExp, string]> = [
  [
    /from ['"](pg|kysely|bullmq|ioredis|nodemailer|fastify|@electric-sql\/pglite)['"/]/,
    'imports an IO library',
  ],
  [/from ['"]node:(fs|net|http|https|child_process|fs\/promises)['"]/, 'imports a Node IO module'],
  [/from ['"]\.\.\/(db|email|queue|web|cli)\//, 'imports from the imperative shell'],
  [/process\.env/, 'reads process.env'],
  [/Date\.now\(\)/, 'reads the clock (Date.now)'],
  [/new Date\(\)/, 'reads the clock (new Date())'],
  [/DateTime\.(now|local)\(\)/, 'reads the clock (luxon now/local)'],
  [/Math\.random\(\)/, 'uses Math.random'],
];

describe('src/domain stays pure', () => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));

  it('has domain modules to check', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(files)('%s does no IO and reads no clock', (file) => {
    const source = readFileSync(new URL(file, dir), 'utf8')
      .split('\n')
      .filter((line) => !/^\s*(\/\/|\*)/.test(line))
      .join('\n');
    const problems = forbidden.filter(([pattern]) => pattern.test(source)).map(([, why]) => why);
    expect(problems, `${file} ${problems.join(', ')}`).toEqual([]);
  });
});
