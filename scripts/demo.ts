/**
 * Loads DOMAIN.md's worked example and a few more grants and budgets into the store that
 * LEDGER_STORE names (default: the embedded file), so a newcomer sees real-looking reports at once.
 * Every command has a fixed id, so running the demo twice records nothing new.
 */
import { v5 as uuidv5 } from 'uuid';
import { parseConfig } from '../src/config.js';
import { openStore } from '../src/store/openStore.js';
import { Ledger } from '../src/app/ledger.js';
import type { GrantCommand } from '../src/domain/grant/commands.js';
import type { BudgetCommand } from '../src/domain/budget/commands.js';
import type { BudgetKey } from '../src/domain/budget/events.js';
import { activitiesOf, grantStatementFor, reportsDueOf, resultFundOf, yearEndOf } from '../src/app/ledgerReports.js';
import { swedishMoney } from '../src/app/swedish.js';

const DEMO_NAMESPACE = 'b1f5a0d2-7c3e-4f6a-9d8b-2e1c0f9a8b7c';
const context = (label: string) => {
  const commandId = uuidv5(label, DEMO_NAMESPACE);
  return { actor: 'demo', tokenId: 'cli', commandId, correlationId: commandId };
};

async function main(): Promise<void> {
  const config = parseConfig(process.env);
  const store = await openStore(config.LEDGER_STORE);
  const ledger = new Ledger(store);
  await ledger.start();
  const grant = (grantId: string, label: string, command: GrantCommand) => ledger.executeGrant(grantId, command, context(`${grantId}/${label}`));
  const budget = (key: BudgetKey, label: string, command: Omit<BudgetCommand, 'budget'>) =>
    ledger.executeBudget(key, { ...command, budget: key } as BudgetCommand, context(`${key.committee}/${key.fiscalYear}/${label}`));

  // DOMAIN.md's worked example: Södertälje's social committee, 2020.
  const social2020 = { committee: 'socialnamnden', fiscalYear: 2020 };
  await budget(social2020, 'frame', {
    type: 'GrantAppropriation',
    data: { amount: '1200000000.00', decidedOn: '2020-01-15', decisionRef: 'KF 2019-11-25 § 150' },
  });
  await grant('tvv-segregation-2020', 'received', {
    type: 'ReceiveGrant',
    data: {
      grantId: 'tvv-segregation-2020',
      grantor: 'Tillväxtverket',
      title: 'Minska och motverka segregation',
      purpose: 'Statsbidrag till kommuner med socioekonomiskt eftersatta områden för att minska och motverka segregation',
      kind: 'riktat',
      committee: 'socialnamnden',
      amount: '8000000.00',
      receivedOn: '2020-06-15',
      useBy: '2020-12-31',
      repaymentRequired: true,
      reportDue: '2021-03-31',
      reference: 'Tillväxtverket Dnr Ä 2020-123',
    },
  });
  // Costs 1 190 000 000 and revenues 20 000 000 over the year, spread over four activities.
  for (let month = 1; month <= 12; month += 1) {
    const period = `2020-${String(month).padStart(2, '0')}`;
    const december = month === 12;
    const perActivity: Array<[string, string, string]> = [
      ['IFO', '30000000.00', '0.00'],
      ['AO', december ? '47000000.00' : '45000000.00', december ? '2400000.00' : '1600000.00'],
      ['FN', '20000000.00', '0.00'],
      ['EB', '4000000.00', '0.00'],
    ];
    for (const [activity, costs, revenues] of perActivity) {
      await budget(social2020, `outcome/${period}/${activity}`, { type: 'RecordOutcome', data: { period, activity, costs, revenues } });
    }
  }
  await budget(social2020, 'forecast/2020-04', { type: 'RecordForecast', data: { afterPeriod: '2020-04', deviation: '2000000.00' } });
  await budget(social2020, 'forecast/2020-08', { type: 'RecordForecast', data: { afterPeriod: '2020-08', deviation: '18000000.00' } });
  await grant('tvv-segregation-2020', 'returned', {
    type: 'ReturnFunds',
    data: { amount: '8000000.00', returnedOn: '2021-03-20', reference: 'Återbetalning till Tillväxtverket' },
  });
  await grant('tvv-segregation-2020', 'report', { type: 'SubmitGrantReport', data: { submittedOn: '2021-03-25', reference: 'Slutrapport 2020', final: true } });
  await grant('tvv-segregation-2020', 'closed', { type: 'CloseGrant', data: { closedOn: '2021-03-31' } });
  // The council carries surpluses over up to 1 % of the frame (12 000 000), deficits in full.
  await ledger.closeFiscalYear(social2020, { closedOn: '2021-03-09', carriedForward: '12000000.00' }, context('socialnamnden/2020/close'));

  // 2021: a new frame, an earmarked grant in use and a general one.
  const social2021 = { committee: 'socialnamnden', fiscalYear: 2021 };
  await budget(social2021, 'frame', {
    type: 'GrantAppropriation',
    data: { amount: '1230000000.00', decidedOn: '2020-11-23', decisionRef: 'KF 2020-11-23 § 201' },
  });
  await budget(social2021, 'adjustment', {
    type: 'AdjustAppropriation',
    data: { activity: 'EB', amount: '5000000.00', decidedOn: '2021-04-26', reason: 'Tilläggsanslag ekonomiskt bistånd', decisionRef: 'KF 2021-04-26 § 64' },
  });
  for (const [period, costs, revenues] of [
    ['2021-01', '101000000.00', '1500000.00'],
    ['2021-02', '99500000.00', '1500000.00'],
    ['2021-03', '102300000.00', '1700000.00'],
    ['2021-04', '100100000.00', '1600000.00'],
  ] as const) {
    await budget(social2021, `outcome/${period}`, { type: 'RecordOutcome', data: { period, activity: 'IFO', costs, revenues } });
  }
  await budget(social2021, 'forecast/2021-04', { type: 'RecordForecast', data: { afterPeriod: '2021-04', deviation: '2000000.00' } });
  await grant('sos-barn-unga-2021', 'received', {
    type: 'ReceiveGrant',
    data: {
      grantId: 'sos-barn-unga-2021',
      grantor: 'Socialstyrelsen',
      title: 'Stärkta insatser för barn och unga',
      purpose: 'Förebyggande insatser för barn och unga i socialt utsatta områden',
      kind: 'riktat',
      committee: 'socialnamnden',
      amount: '2500000.00',
      receivedOn: '2021-02-10',
      useBy: '2021-12-31',
      repaymentRequired: true,
      reportDue: '2022-03-31',
    },
  });
  await grant('sos-barn-unga-2021', 'allocate/IFO', {
    type: 'AllocateFunds',
    data: { allocationId: 'ifo-familjecentral', activity: 'IFO', amount: '2000000.00', allocatedOn: '2021-03-01' },
  });
  await grant('sos-barn-unga-2021', 'spend/1', {
    type: 'SpendFunds',
    data: { allocationId: 'ifo-familjecentral', amount: '750000.00', spentOn: '2021-04-30', voucher: 'V2021-04-0187' },
  });
  await grant('sos-barn-unga-2021', 'spend/2', {
    type: 'SpendFunds',
    data: { allocationId: 'ifo-familjecentral', amount: '480000.00', spentOn: '2021-06-30', voucher: 'V2021-06-0342' },
  });
  await grant('mig-schablon-2021', 'received', {
    type: 'ReceiveGrant',
    data: {
      grantId: 'mig-schablon-2021',
      grantor: 'Migrationsverket',
      title: 'Schablonersättning för mottagande',
      purpose: 'Generellt statsbidrag för mottagande av nyanlända',
      kind: 'generellt',
      committee: 'socialnamnden',
      amount: '1000000.00',
      receivedOn: '2021-03-15',
      useBy: '2021-12-31',
      repaymentRequired: false,
    },
  });

  // The elderly care committee: an earmarked grant partly spent.
  const elderly2021 = { committee: 'aldrenamnden', fiscalYear: 2021 };
  await budget(elderly2021, 'frame', {
    type: 'GrantAppropriation',
    data: { activity: 'AO', amount: '860000000.00', decidedOn: '2020-11-23', decisionRef: 'KF 2020-11-23 § 201' },
  });
  await budget(elderly2021, 'outcome/2021-01', { type: 'RecordOutcome', data: { period: '2021-01', activity: 'AO', costs: '73000000.00', revenues: '4100000.00' } });
  await grant('sos-aldreomsorgslyftet-2021', 'received', {
    type: 'ReceiveGrant',
    data: {
      grantId: 'sos-aldreomsorgslyftet-2021',
      grantor: 'Socialstyrelsen',
      title: 'Äldreomsorgslyftet',
      purpose: 'Utbildning av anställda i äldreomsorgen under betald arbetstid',
      kind: 'riktat',
      committee: 'aldrenamnden',
      amount: '3400000.00',
      receivedOn: '2021-01-20',
      useBy: '2021-12-31',
      repaymentRequired: true,
      reportDue: '2022-02-28',
    },
  });
  await grant('sos-aldreomsorgslyftet-2021', 'allocate/AO', {
    type: 'AllocateFunds',
    data: { allocationId: 'ao-utbildning', activity: 'AO', amount: '3400000.00', allocatedOn: '2021-02-01' },
  });
  await grant('sos-aldreomsorgslyftet-2021', 'spend/1', {
    type: 'SpendFunds',
    data: { allocationId: 'ao-utbildning', amount: '3100000.00', spentOn: '2021-11-30', voucher: 'V2021-11-0911' },
  });

  const atYearEnd = ledger.unusedGrants({}, { asOf: '2020-12-31' });
  const results = ledger.committeeResults({ committee: 'socialnamnden' }, { asOf: '2020-12-31' });
  const grantRow = atYearEnd.rows.find((row) => row.grantId === 'tvv-segregation-2020');
  // The monthly reports (issue 9), one line each, with the command that shows the whole report.
  const kr = (amount: string | null | undefined) => (amount ? `${swedishMoney(amount)} kr` : '?');
  const activities = activitiesOf(ledger, { committee: 'socialnamnden', year: 2021 }, { asOf: '2021-04-30' });
  const ifo = activities.rows.find((row) => row.activity === 'IFO');
  const statement = grantStatementFor(ledger, 'sos-barn-unga-2021', { asOf: '2021-12-31' });
  const due = reportsDueOf(ledger, { within: 60 }, { asOf: '2022-02-15' });
  const yearEnd = yearEndOf(ledger, { balanceDate: '2021-12-31' });
  const fund = resultFundOf(ledger, { committee: 'socialnamnden' }, {});
  process.stdout.write(
    [
      `Demo loaded into ${store.description} (${ledger.readModel.position} events in the log).`,
      `As of 2020-12-31: socialnamnden 2020 result ${results.rows[0]?.result ?? '?'};`,
      `  Tillväxtverket's segregation grant unused ${grantRow?.unused ?? '?'}, status ${grantRow?.status ?? '?'}, repayment required: ${grantRow?.repaymentRequired ?? '?'}.`,
      'Try: GET /api/reports/unused-grants?asOf=2020-12-31 and GET /api/reports/committee-results',
      '',
      'The reports an ekonom opens every month (grantledger report …, or GET /api/reports/…):',
      `  activities --committee socialnamnden --year 2021 --as-of 2021-04-30: ${activities.monthsReported} months reported, IFO deviation ${kr(ifo?.deviation)}, committee ${kr(activities.totals.deviation)}`,
      `  grant-statement sos-barn-unga-2021 --as-of 2021-12-31: ${typeof statement === 'object' && statement ? `${statement.allocations.reduce((count, allocation) => count + allocation.spending.length, 0)} spendings, unused ${kr(statement.grant.unused)}, to repay ${kr(statement.grant.toRepay)}` : '?'}`,
      `  reports-due --within 60 --as-of 2022-02-15: ${due.rows.map((row) => `${row.grantId} by ${row.reportDue}`).join(', ') || 'none'}`,
      `  year-end --year 2021: prepaid grant income ${kr(yearEnd.totals.prepaidIncome)}, repayment liabilities ${kr(yearEnd.totals.repaymentLiability)}`,
      `  result-fund --committee socialnamnden: ${fund.rows.map((row) => `${row.fiscalYear} carried ${kr(row.carriedForward)}, balance ${kr(row.balance)}`).join('; ') || 'no closed year'}`,
      '',
    ].join('\n'),
  );
  await ledger.stop();
  await store.close();
}

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
