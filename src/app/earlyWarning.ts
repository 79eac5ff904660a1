import type { ReadSide } from './ledger/readSide.js';
import { Yielder, type Pauses } from './yielder.js';
import { earlyWarningReport, earlyWarningRowOf, type EarlyWarningReport } from '../../projections/earlyWarning.js';
import { viewDateOf, type Clocks } from '../../projections/clocks.js';

/** The early-warning report of the ledger in a view (issue 14): per open riktat grant, projected unused at useBy. */
export function earlyWarning(ledger: ReadSide, filter: { readonly committee?: string }, clocks: Clocks): EarlyWarningReport {
  ledger.readModel.assertRunning();
  return earlyWarningReport(warningWalk(ledger, filter, clocks).toEnd(), filter);
}

/**
 * The same report, folding one grant a step and giving the event loop back whenever the slice is
 * used up: every grant's events are folded, which at ten thousand grants takes far longer than
 * anyone else should wait (the API's route). Events arriving meanwhile are in it (see GrantWalk).
 */
export async function earlyWarningInSlices(ledger: ReadSide, filter: { readonly committee?: string }, clocks: Clocks, pauses: Pauses = new Yielder()): Promise<EarlyWarningReport> {
  ledger.readModel.assertRunning();
  const walk = warningWalk(ledger, filter, clocks);
  while (walk.step()) if (pauses.due()) await pauses.pause();
  return earlyWarningReport(walk.finish(), filter);
}

function warningWalk(ledger: ReadSide, filter: { readonly committee?: string }, clocks: Clocks) {
  const viewDate = viewDateOf(clocks, ledger.today());
  return ledger.readModel.grantStreamWalk((_grantId, stream) => earlyWarningRowOf(stream, clocks, viewDate), filter.committee);
}
