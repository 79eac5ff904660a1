import type { Ledger } from '../app/ledger.js';
import type { GrantEvent } from '../domain/grant/events.js';
import { grantBusinessDate } from '../domain/grant/state.js';
import { money, type Money } from '../domain/money.js';
import { visibleEvents } from '../../projections/clocks.js';
import { grantFactsAt } from '../../projections/grantView.js';
import type { SieMapping } from './mapping.js';
import type { SieObjectRef } from './parser.js';
import { encodePc8 } from './reader.js';
import { writeSie, type SieOutVerification } from './writer.js';

/**
 * The year's grant movements as SIE 4 verifications for the municipality's books (RKR R2):
 * - received (riktat): bank against prepaid grant income (a liability until used);
 *   received (generellt): bank against grant revenue, revenue when received;
 * - spent: prepaid income against grant revenue, as the costs occur (per activity);
 * - returned: prepaid income (generellt: grant revenue) against bank;
 * - retained at closing: prepaid income against grant revenue.
 * Reversed entries are left out and amendments applied: the books get the ledger as it stands.
 */
export class ExportMappingMissingError extends Error {
  override readonly name = 'ExportMappingMissingError';
  constructor() {
    super('the mapping has no "export" section: it names the accounts (bank, prepaidIncome, grantRevenue) the verifications are booked on');
  }
}

export interface SieExport {
  readonly text: string;
  readonly bytes: Buffer;
  readonly verifications: number;
}

interface Movement {
  readonly date: string;
  readonly order: number;
  readonly verification: SieOutVerification;
}

export function exportSie(ledger: Ledger, year: number, mapping: SieMapping, version: string): SieExport {
  ledger.readModel.assertRunning();
  const settings = mapping.export;
  if (!settings) throw new ExportMappingMissingError();
  const { bank, prepaidIncome, grantRevenue } = settings.accounts;
  const grantObjects = new Map<string, string>();
  for (const [object, grantId] of Object.entries(mapping.grant.objects)) if (!grantObjects.has(grantId)) grantObjects.set(grantId, object);
  const activityObjects = new Map<string, string>();
  for (const [object, activity] of Object.entries(mapping.activity.objects ?? {})) if (!activityObjects.has(activity)) activityObjects.set(activity, object);

  const movements: Movement[] = [];
  const objects = new Map<string, { dimension: string; object: string; name: string }>();
  const inYear = (date: string | null): date is string => date !== null && date.startsWith(`${year}-`);
  let order = 0;
  for (const grantId of [...ledger.readModel.grantIds()].sort()) {
    const stream = ledger.readModel.grantStream(grantId)!;
    const facts = grantFactsAt(stream, {});
    const grant = facts.grant;
    if (!grant) continue;
    const grantObject = grantObjects.get(grantId) ?? grantId;
    const grantRef: SieObjectRef = { dimension: mapping.grant.dimension, object: grantObject };
    const allocationActivity = new Map<string, string>();
    const events = visibleEvents<GrantEvent>(stream, {}, grantBusinessDate);
    let touched = false;
    const add = (date: string, text: string, debit: [string, SieObjectRef[]], credit: [string, SieObjectRef[]], amount: Money) => {
      if (amount.isZero()) return;
      touched = true;
      movements.push({
        date,
        order: (order += 1),
        verification: {
          date,
          text: `${text}: ${grant.title}`.slice(0, 200),
          transactions: [
            { account: debit[0], objects: debit[1], amount },
            { account: credit[0], objects: credit[1], amount: amount.neg() },
          ],
        },
      });
    };
    const holding = grant.kind === 'riktat' ? prepaidIncome : grantRevenue;
    for (const event of events) {
      switch (event.type) {
        case 'FundsAllocated':
          allocationActivity.set(event.data.allocationId, event.data.activity);
          break;
        case 'GrantReceived':
          // A GrantAmended corrects the receipt itself: the books get the corrected amount.
          if (inYear(event.data.receivedOn)) add(event.data.receivedOn, 'Statsbidrag mottaget', [bank, []], [holding, [grantRef]], money(grant.amount));
          break;
        case 'GrantInstallmentReceived':
          if (inYear(event.data.receivedOn)) add(event.data.receivedOn, 'Statsbidrag mottaget', [bank, []], [holding, [grantRef]], money(event.data.amount));
          break;
        case 'FundsSpent': {
          if (!inYear(event.data.spentOn)) break;
          const activity = allocationActivity.get(event.data.allocationId);
          const activityRef: SieObjectRef[] = activity === undefined ? [] : [{ dimension: mapping.activity.dimension, object: activityObjects.get(activity) ?? activity }];
          if (activity !== undefined) objects.set(`${mapping.activity.dimension}/${activity}`, { dimension: mapping.activity.dimension, object: activityRef[0]!.object, name: activity });
          add(event.data.spentOn, `Bidragsintäkt ${event.data.voucher}`, [prepaidIncome, [grantRef]], [grantRevenue, [grantRef, ...activityRef]], money(event.data.amount));
          break;
        }
        case 'FundsReturned':
          if (inYear(event.data.returnedOn)) add(event.data.returnedOn, 'Statsbidrag återbetalt', [holding, [grantRef]], [bank, []], money(event.data.amount));
          break;
        case 'GrantClosed':
          if (inYear(event.data.closedOn) && grant.kind === 'riktat') {
            add(event.data.closedOn, 'Statsbidrag behållet vid avslut', [prepaidIncome, [grantRef]], [grantRevenue, [grantRef]], money(event.data.retained));
          }
          break;
        default:
          break;
      }
    }
    if (touched) objects.set(`${mapping.grant.dimension}/${grantObject}`, { dimension: mapping.grant.dimension, object: grantObject, name: grant.title });
  }
  movements.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : a.order - b.order));
  const text = writeSie({
    program: { name: 'grantledger', version },
    generatedOn: ledger.today(),
    companyName: settings.companyName,
    orgnr: settings.orgnr,
    fiscalYear: { start: `${year}-01-01`, end: `${year}-12-31` },
    accounts: [
      { account: bank, name: 'Bank' },
      { account: prepaidIncome, name: 'Förutbetalda statsbidrag' },
      { account: grantRevenue, name: 'Statsbidrag' },
    ],
    dimensions: [
      { dimension: mapping.activity.dimension, name: 'Verksamhet' },
      { dimension: mapping.grant.dimension, name: 'Statsbidrag' },
    ],
    objects: [...objects.values()].sort((a, b) => a.dimension.localeCompare(b.dimension) || a.object.localeCompare(b.object)),
    series: settings.series,
    verifications: movements.map((movement) => movement.verification),
  });
  return { text, bytes: encodePc8(text), verifications: movements.length };
}
