/*
 * GOV.UK Frontend's macros indent their output; on a long page the indentation is a fifth of the
 * bytes sent. A browser collapses a run of white space to one space everywhere except in <pre> and
 * <textarea> (and their text is the user's own), so dropping the spaces and tabs after each line
 * break, outside those two, sends less without changing what anyone sees.
 */

// An unclosed <pre> or <textarea> runs to the end, as it does in a browser.
const indentation = /(<(pre|textarea)\b[\s\S]*?(?:<\/\2\s*>|$))|\n[ \t]+/gi;

const keptElement = /<(?:pre|textarea)\b/i;
const indent = /\n[ \t]+/g;

/** The page with the indentation after each line break removed, outside <pre> and <textarea>. */
export function compactHtml(html: string): string {
  // Most pages have neither element: one plain replace is several times faster.
  if (!keptElement.test(html)) return html.replace(indent, '\n');
  return html.replace(indentation, (_match, kept: string | undefined) => kept ?? '\n');
}
