// The escaping template the status page is written with: every interpolation is escaped unless it is itself
// an `html` fragment, so hostnames, reasons and DNS answers (from configuration and from the network) can
// never become markup.

/** Markup that is already safe: produced by `html` (or `raw` for the page's own constant CSS). */
export class Html {
  constructor(readonly text: string) {}
}

export function raw(text: string): Html {
  return new Html(text);
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

type Value = Html | string | number | null | undefined | readonly Value[];

export function html(strings: TemplateStringsArray, ...values: Value[]): Html {
  let out = strings[0]!;
  values.forEach((v, i) => (out += fragment(v) + strings[i + 1]!));
  return new Html(out);
}

function fragment(v: Value): string {
  if (v instanceof Html) return v.text;
  if (Array.isArray(v)) return v.map(fragment).join('');
  if (v === null || v === undefined) return '';
  return escapeHtml(String(v));
}
