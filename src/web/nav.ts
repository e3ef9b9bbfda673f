import type { Role } from '../actor.ts';
import type { Principal } from './context.ts';

/** A part of the service a page belongs to; each navigation item leads to one. */
type Section = 'home' | 'sittings' | 'allocations' | 'requests' | 'agency' | 'admin' | 'api';

/** One item of the header's service navigation. */
export interface NavItem {
  href: string;
  text: string;
  section: Section;
}

/*
 * The header navigation by role: one list per role. A feature adds its page here when it lands
 * (e.g. chair: sittings; coordinator: allocation queue; agency: capacity; admin: hubs, users).
 * Links are a convenience only: every route checks the principal's role and scope itself.
 */
const byRole: Record<Role, NavItem[]> = {
  admin: [
    { href: '/', text: 'Home', section: 'home' },
    { href: '/sittings', text: 'Sittings', section: 'sittings' },
    { href: '/allocations', text: 'Allocation queue', section: 'allocations' },
    { href: '/requests', text: 'Requests', section: 'requests' },
    { href: '/admin', text: 'Admin', section: 'admin' },
    { href: '/api/docs', text: 'API', section: 'api' },
  ],
  chair: [
    { href: '/', text: 'Home', section: 'home' },
    { href: '/sittings', text: 'Sittings', section: 'sittings' },
    { href: '/requests', text: 'Requests', section: 'requests' },
  ],
  coordinator: [
    { href: '/', text: 'Home', section: 'home' },
    { href: '/sittings', text: 'Sittings', section: 'sittings' },
    { href: '/allocations', text: 'Allocation queue', section: 'allocations' },
    { href: '/requests', text: 'Requests', section: 'requests' },
  ],
  school: [
    { href: '/', text: 'Home', section: 'home' },
    { href: '/requests', text: 'Your requests', section: 'requests' },
  ],
  agency: [
    { href: '/', text: 'Home', section: 'home' },
    { href: '/agency', text: 'Your cases and places', section: 'agency' },
    { href: '/requests', text: 'Your allocations', section: 'requests' },
  ],
};

/*
 * The section of a page by its path: the first rule that matches. Order matters: a sitting's
 * allocation pages (and their forms' error pages) live under /sittings/ but are the allocation
 * queue's, so they come before the sittings rule; a proforma belongs to its request.
 */
const sectionRules: ReadonlyArray<readonly [RegExp, Section]> = [
  [/^\/$/, 'home'],
  [/^\/allocations(\/|$)/, 'allocations'],
  [/^\/sittings\/[^/]+\/(allocations|suggestions|proformas)(\/|$)/, 'allocations'],
  [/^\/(sittings|hubs)(\/|$)/, 'sittings'],
  [/^\/(requests|proformas)(\/|$)/, 'requests'],
  [/^\/agency(\/|$)/, 'agency'],
  [/^\/admin(\/|$)/, 'admin'],
  [/^\/api\/docs$/, 'api'],
];

/** The section a path (without its query) belongs to, or null (sign-in, emailed links, 404s). */
export function sectionOf(path: string): Section | null {
  return sectionRules.find(([rule]) => rule.test(path))?.[1] ?? null;
}

/**
 * The navigation for a principal (none before sign-in): the item of the page's section marked
 * `active`, and `current` too when the page is the item's own (GOV.UK: aria-current "page").
 */
export function navigationFor(
  principal: Principal | null,
  currentPath: string,
): Array<Omit<NavItem, 'section'> & { active: boolean; current: boolean }> {
  if (principal === null) return [];
  const section = sectionOf(currentPath);
  return byRole[principal.role].map(({ href, text, section: own }) => ({
    href,
    text,
    active: own === section,
    current: own === section && currentPath === href,
  }));
}
