import { readFileSync } from 'node:fs';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

// package.json's engines.node is a promise to whoever installs the service: every package the
// lockfile installs must declare support for its lowest Node (the lockfile records each one's
// engines). A dependency that moves to a newer Node has to be pinned back or the promise changed.
const read = (path: string) => JSON.parse(readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8'));
const own: { engines: { node: string } } = read('package.json');
const lock: { packages: Record<string, { version?: string; engines?: unknown }> } = read('package-lock.json');

describe('engines.node is true of every installed package', () => {
  const lowest = semver.minVersion(own.engines.node)?.version;

  it('package.json names a lowest Node', () => {
    expect(lowest).toBeDefined();
  });

  it(`each package's engines.node admits Node ${lowest}`, () => {
    const excluding = Object.entries(lock.packages).flatMap(([path, entry]) => {
      const range = (entry.engines as { node?: unknown } | undefined)?.node;
      if (path === '' || typeof range !== 'string' || lowest === undefined) return [];
      return semver.satisfies(lowest, range) ? [] : [`${path}@${entry.version} wants node ${range}`];
    });
    expect(excluding).toEqual([]);
  });
});
