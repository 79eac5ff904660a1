import type { Upcaster } from './upcaster.js';

/**
 * GrantReportSubmitted, version 1 to 2: reports gained `final` (slutrapport or delrapport).
 * Before, the ledger knew one kind of report, the one that answers the grant's reportDue and
 * accounts for the money: every version-1 report is a final report.
 */
export const grantReportSubmittedV1ToV2: Upcaster = {
  type: 'GrantReportSubmitted',
  from: 1,
  upcast: (data) => ({ ...data, final: true }),
};
