import type { Role } from '../actor.ts';
import type { Principal } from './context.ts';

/** One item of the header's service navigation. */
export interface NavItem {
  href: string;
  text: string;
}

/*
 * The header navigation by role: one list per role. A feature adds its page here when it lands
 * (e.g. chair: sittings; coordinator: allocation queue; agency: capacity; admin: hubs, users).
 * Links are a convenience only: every route checks the principal's role and scope itself.
 */
const byRole: Record<Role, NavItem[]> = {
  admin: [
    { href: '/', text: 'Home' },
    { href: '/sittings', text: 'Sittings' },
    { href: '/requests', text: 'Requests' },
    { href: '/admin', text: 'Admin' },
    { href: '/api/docs', text: 'API' },
  ],
  chair: [
    { href: '/', text: 'Home' },
    { href: '/sittings', text: 'Sittings' },
    { href: '/requests', text: 'Requests' },
  ],
  coordinator: [
    { href: '/', text: 'Home' },
    { href: '/sittings', text: 'Sittings' },
    { href: '/allocations', text: 'Allocation queue' },
    { href: '/requests', text: 'Requests' },
  ],
  school: [
    { href: '/', text: 'Home' },
    { href: '/requests', text: 'Your requests' },
  ],
  agency: [
    { href: '/', text: 'Home' },
    { href: '/agency', text: 'Your cases and places' },
    { href: '/requests', text: 'Your allocations' },
  ],
};

/** The navigation for a principal (none before sign-in), the current page marked active. */
export function navigationFor(
  principal: Principal | null,
  currentPath: string,
): Array<NavItem & { active: boolean }> {
  if (principal === null) return [];
  return byRole[principal.role].map((item) => ({
    ...item,
    active:
      item.href === '/'
        ? currentPath === '/'
        : currentPath === item.href || currentPath.startsWith(`${item.href}/`),
  }));
}
