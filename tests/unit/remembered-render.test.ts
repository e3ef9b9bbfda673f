import fc from 'fast-check';
import { DateTime } from 'luxon';
import nunjucks from 'nunjucks';
import { describe, expect, it } from 'vitest';
import { rememberStrings } from '../../src/render/remembered.ts';
import { plainKey, rememberMacro } from '../../src/render/remembered-macros.ts';
import { templates } from '../../src/render/templates.ts';

/*
 * Remembered GOV.UK components and formatting filters are a speed-up only: a page must read exactly
 * as it would through the macros and luxon, whatever was rendered before it.
 */

const env = templates();
const direct = (component: string, macro: string, params: unknown) =>
  env.renderString(
    `{% from "govuk/components/${component}/macro.njk" import ${macro} %}{{ ${macro}(params) }}`,
    {
      params,
    },
  );
const remembered = (macro: string, params: unknown) =>
  env.renderString(`{{ remembered.${macro}(params) }}`, { params });

const tagParams = fc.record(
  {
    text: fc.string({ maxLength: 12 }),
    html: fc.constantFrom('<b>bold</b>', 'a & b', '<script>x</script>'),
    classes: fc.constantFrom('govuk-tag--red', 'govuk-tag--blue govuk-!-margin-bottom-1', ''),
    attributes: fc.dictionary(fc.constantFrom('id', 'data-x', 'lang'), fc.string({ maxLength: 5 })),
  },
  { requiredKeys: [] },
);

describe('remembered GOV.UK components', () => {
  it('render exactly what the macros render, first time and every time after', () => {
    fc.assert(
      fc.property(tagParams, (params) => {
        const expected = direct('tag', 'govukTag', params);
        expect(remembered('govukTag', params)).toBe(expected);
        expect(remembered('govukTag', params)).toBe(expected);
      }),
      { numRuns: 150 },
    );
  });

  it('render a summary card with HTML rows and dropped rows as the macro does', () => {
    const html = env.renderString(
      '{% set h %}<ul><li>{{ v }}</li></ul>{% endset %}{{ remembered.govukSummaryList({ card: { title: { text: "09:30 · Slot 1" }, actions: { items: [{ href: "/x", text: "Change" }] } }, rows: [{ key: { text: "Requests" }, value: { html: h } }, false] }) }}',
      { v: '<EH-1>' },
    );
    const expected = env.renderString(
      '{% from "govuk/components/summary-list/macro.njk" import govukSummaryList %}{% set h %}<ul><li>{{ v }}</li></ul>{% endset %}{{ govukSummaryList({ card: { title: { text: "09:30 · Slot 1" }, actions: { items: [{ href: "/x", text: "Change" }] } }, rows: [{ key: { text: "Requests" }, value: { html: h } }, false] }) }}',
      { v: '<EH-1>' },
    );
    expect(html).toBe(expected);
    expect(html).toContain('&lt;EH-1&gt;');
  });

  it('never give HTML for text: the same characters as a safe string and as plain text stay apart', () => {
    const markup = '<em>x</em>';
    const asHtml = env.renderString('{{ remembered.govukTag({ text: h }) }}', {
      h: new nunjucks.runtime.SafeString(markup),
    });
    const asText = env.renderString('{{ remembered.govukTag({ text: h }) }}', { h: markup });
    expect(asHtml).toContain('<em>x</em>');
    expect(asText).toContain('&lt;em&gt;x&lt;/em&gt;');
  });
});

describe('rememberMacro', () => {
  const counting = () => {
    const calls: unknown[] = [];
    const macro = (...args: unknown[]) => {
      calls.push(args[0]);
      return `html of ${JSON.stringify(args[0])}`;
    };
    return { calls, macro };
  };

  it('calls the macro once per distinct params, and again once the oldest is evicted', () => {
    const { calls, macro } = counting();
    const tag = rememberMacro(() => macro, { entries: 2, chars: 10_000 });
    tag({ text: 'a' });
    tag({ text: 'a' });
    tag({ text: 'b' });
    tag({ text: 'a' }); // a is now the youngest
    tag({ text: 'c' }); // evicts b
    tag({ text: 'a' });
    tag({ text: 'b' });
    expect(calls).toEqual([{ text: 'a' }, { text: 'b' }, { text: 'c' }, { text: 'b' }]);
  });

  it('never remembers params that JSON cannot say exactly', () => {
    const { calls, macro } = counting();
    const tag = rememberMacro(() => macro);
    const odd = [
      { text: 'x', caller: () => 'y' },
      { text: new Date(0) },
      { text: new Map([['a', 1]]) },
      { count: Number.NaN },
      { rows: [undefined] },
      { val: 'looks like a safe string', length: 24 },
    ];
    for (const params of [...odd, ...odd]) tag(params);
    expect(calls).toHaveLength(odd.length * 2);
    for (const params of odd) expect(plainKey(params)).toBeNull();
  });
});

describe('formatting filters', () => {
  it('give what luxon gives, for instants as dates and as ISO strings, in any zone', () => {
    const render = (value: unknown, zone: string) =>
      env.renderString(
        '{{ v | localDateTime(z) }}|{{ v | localTime(z) }}|{{ v | localDateTime(z, "d LLL yyyy HH:mm ZZZZ") }}',
        {
          v: value,
          z: zone,
        },
      );
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2035, 0, 1) }),
        fc.constantFrom('Europe/London', 'America/New_York', 'Asia/Kolkata'),
        (ms, zone) => {
          const dt = DateTime.fromMillis(ms).setZone(zone);
          const expected = `${dt.toFormat('cccc d LLLL yyyy, h:mma').replace('AM', 'am').replace('PM', 'pm')}|${dt.toFormat('HH:mm')}|${dt.toFormat('d LLL yyyy HH:mm ZZZZ')}`;
          expect(render(new Date(ms), zone)).toBe(expected);
          expect(render(new Date(ms), zone)).toBe(expected);
          expect(render(DateTime.fromMillis(ms).toUTC().toISO(), zone)).toBe(expected);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('still refuse an invalid instant as luxon does', () => {
    expect(() =>
      env.renderString('{{ v | localDateTime("Europe/London") }}', { v: new Date(Number.NaN) }),
    ).toThrow();
  });
});

describe('rememberStrings', () => {
  it('keeps arguments apart however they are split', () => {
    let calls = 0;
    const join = rememberStrings((a: string, b: string) => {
      calls++;
      return `${a}|${b}`;
    });
    expect(join('a\u0000b', 'c')).toBe('a\u0000b|c');
    expect(join('a', 'b\u0000c')).toBe('a|b\u0000c');
    expect(join('a', 'b\u0000c')).toBe('a|b\u0000c');
    expect(calls).toBe(2);
  });
});
