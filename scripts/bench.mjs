#!/usr/bin/env node
// `npm run bench [-- --full] [-- name...]`: runs every scripts/bench/*.bench.ts in turn. Each prints
// its own figures as ratios against a reference measured in the same run.
import { readdirSync } from 'node:fs';
import { register } from 'tsx/esm/api';

register();
const args = process.argv.slice(2);
const full = args.includes('--full');
const only = args.filter((a) => !a.startsWith('--'));
const dir = new URL('./bench/', import.meta.url);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();
for (const file of files) {
  console.log(`\n=== ${file.replace('.bench.ts', '')} ===`);
  const mod = await import(new URL(file, dir).href);
  await mod.default({ full });
}
