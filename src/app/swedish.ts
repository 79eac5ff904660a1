/**
 * What people read and type in Swedish: amounts with space grouping and a decimal comma
 * (8 000 000,00), statuses in the words users know (DOMAIN.md, "Words"), ja/nej. JSON keeps the
 * codes; tables, workbooks, Excel CSV and the web pages use these.
 */

/** Every status a grant view or report row can have, in Swedish. */
export const STATUS_WORDS = {
  open: 'öppen',
  expired: 'förfallen',
  settled: 'avräknad',
  closed: 'stängd',
  'at-risk': 'i riskzonen',
} as const satisfies Record<string, string>;

export type StatusCode = keyof typeof STATUS_WORDS;

export function statusWord(code: string): string {
  return (STATUS_WORDS as Record<string, string>)[code] ?? code;
}

export function yesNo(value: boolean): 'ja' | 'nej' {
  return value ? 'ja' : 'nej';
}

/** "8000000.00" → "8 000 000,00": Swedish grouping with spaces and a decimal comma. */
export function swedishMoney(amount: string): string {
  const negative = amount.startsWith('-');
  const [whole, fraction = '00'] = (negative ? amount.slice(1) : amount).split('.');
  const grouped = whole!.replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
  return `${negative ? '-' : ''}${grouped},${fraction.padEnd(2, '0')}`;
}

/** "8000000.00" → "8 000 000,00 kr" */
export function swedishKronor(amount: string): string {
  return `${swedishMoney(amount)} kr`;
}

/**
 * An amount typed the Swedish way ("8 000 000,00", "8000000", "8 000 000 kr", "-1 500,5") as the
 * ledger's decimal string ("8000000.00"), or null when it is not an amount. Spaces (also
 * non-breaking and narrow ones) group thousands; a comma or a point separates at most two decimals.
 */
export function parseSwedishAmount(text: string): string | null {
  const compact = text.trim().replace(/\s*kr$/i, '').replace(/[\s\u00a0\u202f]/g, '');
  const match = /^(-?)(\d+)(?:[,.](\d{1,2}))?$/.exec(compact);
  if (!match) return null;
  const whole = match[2]!.replace(/^0+(?=\d)/, '');
  return `${match[1]}${whole}.${(match[3] ?? '').padEnd(2, '0')}`;
}
