/**
 * The header navigation items a page marks as where you are (`aria-current` set), as
 * `text (aria-current value)`, e.g. `['Allocation queue (page)']`.
 */
export function currentNavigation(html: string): string[] {
  const list = /<ul class="govuk-service-navigation__list"[\s\S]*?<\/ul>/.exec(html)?.[0] ?? '';
  return [...list.matchAll(/<a [^>]*aria-current="([a-z]+)"[^>]*>([\s\S]*?)<\/a>/g)].map(
    ([, current, inner]) => `${(inner ?? '').replace(/<[^>]+>/g, '').trim()} (${current})`,
  );
}
