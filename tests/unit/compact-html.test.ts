import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compactHtml } from '../../src/render/compact-html.ts';

/** What a browser shows of white space outside <pre> and <textarea>: every run as one space. */
function asShown(html: string): string {
  let shown = '';
  let rest = html;
  for (;;) {
    const open = /<(pre|textarea)\b/i.exec(rest);
    if (open === null) return shown + rest.replace(/\s+/g, ' ');
    shown += rest.slice(0, open.index).replace(/\s+/g, ' ');
    rest = rest.slice(open.index);
    const close = new RegExp(`</${open[1]}\\s*>`, 'i').exec(rest);
    const end = close === null ? rest.length : close.index + close[0].length;
    shown += rest.slice(0, end);
    rest = rest.slice(end);
  }
}

describe('compactHtml', () => {
  it('drops the indentation of macro output', () => {
    const html = '<dl>\n    <div class="row">\n      <dt>\n        Status\n      </dt>\n    </div>\n</dl>';
    expect(compactHtml(html)).toBe('<dl>\n<div class="row">\n<dt>\nStatus\n</dt>\n</div>\n</dl>');
  });

  it("keeps a person's text in a textarea and preformatted text exactly", () => {
    const draft = '<textarea name="needs">First line\n    indented second line\n\n  </textarea>';
    const pre = '<PRE class="x">\n  a\n    b\n</PRE >';
    const html = `<div>\n  ${draft}\n  <p>\n    text\n  </p>\n  ${pre}\n</div>`;
    const out = compactHtml(html);
    expect(out).toContain(draft);
    expect(out).toContain(pre);
    expect(out).toContain('<p>\ntext\n</p>');
  });

  it('never changes what a browser shows, and never grows a page', () => {
    const piece = fc.oneof(
      fc.constantFrom('<p>', '</p>', '<a href="/x">', '</a>', '<textarea>', '</textarea>', '<pre>', '</pre>'),
      fc.constantFrom('\n', '  ', '\t', '\n    ', ' \n\t '),
      fc.string({ unit: fc.constantFrom('a', 'b', ' ', '\n', '\t', '<', '>') }),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }), (pieces) => {
        const html = pieces.join('');
        const out = compactHtml(html);
        expect(asShown(out)).toBe(asShown(html));
        expect(out.length).toBeLessThanOrEqual(html.length);
      }),
      { numRuns: 2000 },
    );
  });
});
