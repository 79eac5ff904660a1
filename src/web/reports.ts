import type { Ledger } from '../app/ledger.js';

export type { GrantList, GrantListFilter } from '../app/ledger.js';

/**
 * What the pages read of the ledger: its queries only, never its read model or store. The
 * ledger's queries own every cache (a historical view is folded once and kept for the next pages
 * of the same view until the log moves; filtered views are filtered from it with the
 * projection's own function, so a filtered page and the API's filtered report cannot differ).
 */
export type PageLedger = Pick<
  Ledger,
  'today' | 'ready' | 'grant' | 'grantEvents' | 'unusedGrants' | 'committeeResults' | 'budgetsIn' | 'grantList' | 'earlyWarningRow' | 'earlyWarning' | 'activities'
>;

/** The pages' view of the ledger: the ledger itself, narrowed to its queries. */
export function pageLedger(ledger: Ledger): PageLedger {
  return ledger;
}
