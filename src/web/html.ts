/**
 * HTML from template literals with one escaping rule: every interpolated value is escaped unless
 * it is already Html (the output of this tag), so markup can only come from the templates
 * themselves, never from data (a grant's title, a typed value, an error message).
 */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export type Renderable = Html | string | number | boolean | null | undefined | readonly Renderable[];

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => ESCAPES[character]!);
}

function render(value: Renderable): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: Renderable[]): Html {
  let out = strings[0]!;
  for (let index = 0; index < values.length; index += 1) out += render(values[index]!) + strings[index + 1]!;
  return new Html(out);
}

/** Trusted markup built elsewhere by html`` (e.g. joined lists). */
export function join(parts: readonly Html[], separator = ''): Html {
  return new Html(parts.map((part) => part.text).join(separator));
}
