/**
 * The SIE 4 line syntax, without I/O: a label (#TRANS), then fields separated by spaces or tabs.
 * A field is a bare word, a quoted string ("a \"quoted\" word", where \" is a quotation mark and
 * \\ a backslash), or an object list in braces ({1 "5100" 20 "IFO"}). A line holding only { or }
 * opens or closes a verification's block.
 */

/** One field of a line: text, or an object list of its own fields. */
export type SieField = { readonly kind: 'text'; readonly text: string; readonly quoted: boolean } | { readonly kind: 'list'; readonly items: readonly string[] };

export type SieLine =
  | { readonly kind: 'blank' }
  | { readonly kind: 'open' }
  | { readonly kind: 'close' }
  | { readonly kind: 'label'; readonly label: string; readonly fields: readonly SieField[] };

/** A line that cannot be split into fields; the reader adds the line number. */
export class SieSyntaxError extends Error {
  override readonly name = 'SieSyntaxError';
}

/** The longest line accepted: a real export's longest is a few hundred characters. */
export const MAX_LINE_LENGTH = 10_000;

function isSpace(char: string | undefined): boolean {
  return char === ' ' || char === '\t';
}

/** Reads a quoted string starting at the opening quote; returns the text and the index after the closing quote. */
function readQuoted(line: string, start: number): [string, number] {
  let text = '';
  let from = start + 1;
  for (;;) {
    const quote = line.indexOf('"', from);
    if (quote === -1) throw new SieSyntaxError('a quoted field is not closed with "');
    const backslash = line.indexOf('\\', from);
    if (backslash === -1 || backslash > quote) return [text + line.slice(from, quote), quote + 1];
    // \" is a quotation mark and \\ a backslash; any other backslash stands for itself.
    const next = line[backslash + 1];
    if (next === '"' || next === '\\') {
      text += line.slice(from, backslash) + next;
      from = backslash + 2;
    } else {
      text += line.slice(from, backslash + 1);
      from = backslash + 1;
    }
  }
}

function readBare(line: string, start: number, stopAtBrace: boolean): [string, number] {
  let index = start;
  while (index < line.length && !isSpace(line[index]) && !(stopAtBrace && line[index] === '}')) index += 1;
  return [line.slice(start, index), index];
}

function readList(line: string, start: number): [string[], number] {
  const items: string[] = [];
  let index = start + 1;
  for (;;) {
    while (isSpace(line[index])) index += 1;
    if (index >= line.length) throw new SieSyntaxError('an object list is not closed with }');
    const char = line[index]!;
    if (char === '}') return [items, index + 1];
    if (char === '{') throw new SieSyntaxError('an object list may not hold another list');
    const [item, next] = char === '"' ? readQuoted(line, index) : readBare(line, index, true);
    items.push(item);
    index = next;
  }
}

/** Splits one line (already decoded, without its line end) into a label and its fields. */
export function tokenizeLine(line: string): SieLine {
  if (line.length > MAX_LINE_LENGTH) throw new SieSyntaxError(`the line is longer than ${MAX_LINE_LENGTH} characters`);
  // Old DOS programs end a file with Ctrl-Z; it is no content.
  const trimmed = (line.charCodeAt(line.length - 1) === 0x1a ? line.replace(/\u001a+$/, '') : line).trim();
  if (trimmed === '') return { kind: 'blank' };
  if (trimmed === '{') return { kind: 'open' };
  if (trimmed === '}') return { kind: 'close' };
  if (!trimmed.startsWith('#')) throw new SieSyntaxError('a line must start with a label such as #TRANS, or be { or }');
  const [label, afterLabel] = readBare(trimmed, 0, false);
  if (!/^#[A-Z0-9_]+$/i.test(label)) throw new SieSyntaxError(`"${label}" is not a label`);
  const fields: SieField[] = [];
  let index = afterLabel;
  for (;;) {
    while (isSpace(trimmed[index])) index += 1;
    if (index >= trimmed.length) break;
    const char = trimmed[index]!;
    if (char === '"') {
      const [text, next] = readQuoted(trimmed, index);
      fields.push({ kind: 'text', text, quoted: true });
      index = next;
    } else if (char === '{') {
      const [items, next] = readList(trimmed, index);
      fields.push({ kind: 'list', items });
      index = next;
    } else {
      const [text, next] = readBare(trimmed, index, false);
      fields.push({ kind: 'text', text, quoted: false });
      index = next;
    }
    if (index < trimmed.length && !isSpace(trimmed[index])) throw new SieSyntaxError(`fields must be separated by a space (column ${index + 1})`);
  }
  return { kind: 'label', label: label.toUpperCase(), fields };
}

/** Quotes a field for writing: always quoted, " and \ escaped. */
export function quoteField(text: string): string {
  return `"${text.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}
