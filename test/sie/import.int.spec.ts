import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importSie } from '../../src/sie/importService.js';
import { exportSie } from '../../src/sie/exportService.js';
import { readSieFully } from '../../src/sie/reader.js';
import type { AppendResult, EventStore, NewEvent, ExpectedRevision } from '../../src/store/port.js';
import { context, fixture, MAPPING, sieFile, sieLedger, verification, type SieLedger } from './sieLedger.js';

let t: SieLedger;
beforeEach(async () => {
  t = await sieLedger();
});
afterEach(async () => {
  await t.close();
});

const run = (bytes: Buffer, dryRun = false) => importSie(t.ledger, () => [bytes], MAPPING, { actor: 'anna.ekonom', tokenId: 'cli', dryRun });

function socialnamnden2021() {
  return t.ledger.committeeResults({ committee: 'socialnamnden' }, {}).rows.find((row) => row.fiscalYear === 2021)!;
}

describe('importing a municipal SIE 4 file', () => {
  it('records grant spending and monthly outcomes, to the öre', async () => {
    const result = await run(fixture('kommun-2021-1.se'));
    expect(result.status).toBe('imported');
    expect(result.problems).toEqual([]);
    expect(result.file).toEqual({ orgnr: '212000-1355', fiscalYear: { start: '2021-01-01', end: '2021-12-31' }, program: 'Raindance 5.4.2', companyName: 'Sjöbo kommun' });
    expect(result.counts).toEqual({ verificationsRead: 7, taken: 7, alreadyImported: 0, spendingEntries: 2, outcomeEntries: 3, unmatched: 2, refused: 0, ignored: 8 });
    expect(result.spending).toEqual([
      { verification: 'A 1', line: 44, grantId: 'tvv-seg-2021', allocationId: 'a-ifo', activity: 'IFO', amount: '120000.00', spentOn: '2021-01-31', voucher: 'A 1' },
      { verification: 'A 2', line: 51, grantId: 'tvv-seg-2021', allocationId: 'a-ifo', activity: 'IFO', amount: '80000.00', spentOn: '2021-01-20', voucher: 'A 2' },
    ]);
    expect(result.outcomes).toEqual([
      { committee: 'socialnamnden', fiscalYear: 2021, period: '2021-01', activity: 'AO', costs: '300000.00', revenues: '25000.50', transactions: 2 },
      { committee: 'socialnamnden', fiscalYear: 2021, period: '2021-01', activity: 'IFO', costs: '650000.00', revenues: '0.00', transactions: 3 },
      { committee: 'socialnamnden', fiscalYear: 2021, period: '2021-02', activity: 'IFO', costs: '1000.25', revenues: '0.00', transactions: 1 },
    ]);
    expect(result.unmatched).toEqual([
      { verification: 'A 5', line: 74, account: '4010', amount: '500.00', reason: 'committee object 6100 of dimension 1 is not in the mapping' },
      { verification: 'A 6', line: 80, account: '9990', amount: '-1200.00', reason: "account 9990 is in none of the mapping's account lists" },
    ]);
    expect(result.unknownLabels).toEqual([{ label: '#XKOMMUN', count: 1, firstLine: 39 }]);

    const grant = t.ledger.grant('tvv-seg-2021', {})!.view;
    expect(grant).toMatchObject({ received: '8000000.00', spent: '200000.00', unused: '7800000.00' });
    expect(grant.allocations).toEqual(expect.arrayContaining([expect.objectContaining({ allocationId: 'a-ifo', spent: '200000.00', remaining: '4800000.00' })]));
    expect(socialnamnden2021()).toMatchObject({
      budget: '1200000000.00',
      costs: '951000.25',
      revenues: '25000.50',
      grantRevenue: '200000.00',
      result: '1199274000.25',
    });
    const unused = t.ledger.unusedGrants({ committee: 'socialnamnden' }, {});
    expect(unused.totals).toMatchObject({ received: '9500000.00', spent: '200000.00', unused: '9300000.00' });
  });

  it('writes nothing when the same file comes again', async () => {
    await run(fixture('kommun-2021-1.se'));
    const before = await t.eventCount();
    const again = await run(fixture('kommun-2021-1.se'));
    expect(again.status).toBe('nothing-new');
    expect(again.counts).toMatchObject({ verificationsRead: 7, taken: 0, alreadyImported: 7, spendingEntries: 0, outcomeEntries: 0 });
    expect(await t.eventCount()).toBe(before);
    expect(socialnamnden2021().costs).toBe('951000.25');
  });

  it('takes only the new verifications of a later file that overlaps', async () => {
    await run(fixture('kommun-2021-1.se'));
    const second = await run(fixture('kommun-2021-2.se'));
    expect(second.status).toBe('imported');
    expect(second.counts).toMatchObject({ verificationsRead: 6, taken: 2, alreadyImported: 4, spendingEntries: 1, outcomeEntries: 1, unmatched: 0, refused: 0 });
    expect(second.spending).toEqual([expect.objectContaining({ verification: 'A 7', grantId: 'tvv-seg-2021', allocationId: 'a-ao', amount: '50000.00', spentOn: '2021-03-15' })]);
    expect(second.outcomes).toEqual([{ committee: 'socialnamnden', fiscalYear: 2021, period: '2021-03', activity: 'AO', costs: '60000.00', revenues: '4000.00', transactions: 3 }]);
    expect(t.ledger.grant('tvv-seg-2021', {})!.view).toMatchObject({ spent: '250000.00' });
    expect(socialnamnden2021()).toMatchObject({ costs: '1011000.25', revenues: '29000.50', grantRevenue: '250000.00', result: '1199268000.25' });
    const third = await run(fixture('kommun-2021-2.se'));
    expect(third.counts).toMatchObject({ taken: 0, alreadyImported: 6 });
  });

  it('shows in a dry run exactly what it would record, and records nothing', async () => {
    const before = await t.eventCount();
    const dry = await run(fixture('kommun-2021-1.se'), true);
    expect(dry.status).toBe('dry-run');
    expect(dry.counts).toMatchObject({ taken: 7, spendingEntries: 2, outcomeEntries: 3 });
    expect(await t.eventCount()).toBe(before);
    const real = await run(fixture('kommun-2021-1.se'));
    expect({ spending: real.spending, outcomes: real.outcomes, counts: real.counts }).toEqual({ spending: dry.spending, outcomes: dry.outcomes, counts: dry.counts });
  });

  it('refuses the whole file when any transaction is refused, naming verification, line and rule, and leaves the ledger unchanged', async () => {
    await run(fixture('kommun-2021-1.se'));
    const before = await t.eventCount();
    const costsBefore = socialnamnden2021().costs;
    const file = sieFile([
      verification('C', 1, '20210405', 'Vanlig faktura', ['4010 {1 "5100" 20 "410"} 100.00', '2440 {} -100.00']),
      verification('C', 2, '20210406', 'Personligt ombud', ['7010 {1 "5100" 20 "410" 6 "SOS-PO-2021"} 2000000.00', '2440 {} -2000000.00']),
      verification('C', 3, '20210407', 'Fel verksamhet', ['7010 {1 "5100" 20 "350" 6 "TVV-SEG-2021"} 10.00', '2440 {} -10.00']),
      verification('C', 4, '20210408', 'Efter sista dag', ['7010 {1 "5100" 20 "410" 6 "TVV-SEG-2021"} 10.00 20220110', '2440 {} -10.00']),
      verification('C', 5, '20210409', 'Kreditering', ['7010 {1 "5100" 20 "410" 6 "TVV-SEG-2021"} -10.00', '2440 {} 10.00']),
    ]);
    const result = await run(file);
    expect(result.status).toBe('refused');
    expect(result.refused).toEqual([
      { verification: 'C 2', line: 13, rule: 'SPENDING_EXCEEDS_REMAINING', message: expect.stringContaining('1500000.00') },
      { verification: 'C 3', line: 18, rule: 'ALLOCATION_NOT_FOUND', message: 'grant tvv-seg-2021 has no allocation for activity FN' },
      { verification: 'C 4', line: 23, rule: 'SPENDING_AFTER_USE_BY', message: expect.any(String) },
      { verification: 'C 5', line: 28, rule: 'GRANT_COST_CREDIT', message: expect.stringContaining('10.00') },
    ]);
    expect(result.counts.refused).toBe(4);
    expect(await t.eventCount()).toBe(before);
    expect(socialnamnden2021().costs).toBe(costsBefore);
    // Nothing of it was taken: the same file, corrected, is imported whole later.
    const corrected = await run(sieFile([verification('C', 1, '20210405', 'Vanlig faktura', ['4010 {1 "5100" 20 "410"} 100.00', '2440 {} -100.00'])]));
    expect(corrected.counts).toMatchObject({ taken: 1, alreadyImported: 0 });
  });

  it('refuses outcomes of a closed year with the rule that closed it, for every transaction in them', async () => {
    const budget2020 = { committee: 'socialnamnden', fiscalYear: 2020 };
    await t.ledger.executeBudget(budget2020, { type: 'GrantAppropriation', budget: budget2020, data: { amount: '1000.00', decidedOn: '2019-11-20', decisionRef: 'KF' } }, context());
    await t.ledger.closeFiscalYear(budget2020, { closedOn: '2021-02-15' }, context());
    const before = await t.eventCount();
    const result = await run(
      sieFile([
        verification('D', 1, '20201220', 'Sen faktura 2020', ['4010 {1 "5100" 20 "410"} 70.00', '4010 {1 "5100" 20 "410"} 30.00', '2440 {} -100.00']),
        verification('D', 2, '20210120', 'Faktura 2021', ['4010 {1 "5100" 20 "410"} 5.00', '2440 {} -5.00']),
      ]),
    );
    expect(result.status).toBe('refused');
    expect(result.refused.map((r) => [r.verification, r.line])).toEqual([
      ['D 1', 8],
      ['D 1', 9],
    ]);
    expect(result.refused[0]!.rule).toMatch(/CLOSED/);
    expect(await t.eventCount()).toBe(before);
  });

  it('refuses spending on a grant dated in its committee’s closed year, with the period lock’s rule', async () => {
    const budget = { committee: 'socialnamnden', fiscalYear: 2021 };
    await t.ledger.closeFiscalYear(budget, { closedOn: '2022-01-10' }, context());
    const before = await t.eventCount();
    const result = await run(sieFile([verification('F', 1, '20210601', 'Sen lön', ['5010 {1 "5100" 20 "410" 6 "TVV-SEG-2021"} 100.00', '1930 {} -100.00'])]));
    expect(result.status).toBe('refused');
    expect(result.refused[0]).toMatchObject({ verification: 'F 1', line: 8, rule: 'PERIOD_CLOSED' });
    expect(await t.eventCount()).toBe(before);
  });

  it('refuses a malformed file whole, with every problem', async () => {
    const before = await t.eventCount();
    const result = await run(
      sieFile([
        verification('E', 1, '20210105', 'Bra', ['4010 {1 "5100" 20 "410"} 5.00', '2440 {} -5.00']),
        verification('E', 2, '20210105', 'Obalanserad', ['4010 {1 "5100" 20 "410"} 5.00', '2440 {} -4.00']),
        verification('E', 1, '20210105', 'Dubblett', ['4010 {} 5.00', '2440 {} -5.00']),
      ]),
    );
    expect(result.status).toBe('malformed');
    expect(result.problems).toEqual([
      { line: 11, reason: 'the verification E 2 does not balance: its transactions sum to 1.00, not 0.00' },
      { line: 16, reason: 'the verification E 1 is in the file twice (first on line 6)' },
    ]);
    expect(await t.eventCount()).toBe(before);
  });

  it('exports the year’s grant movements as balanced PC8 verifications that read back to the same figures', async () => {
    await run(fixture('kommun-2021-1.se'));
    await run(fixture('kommun-2021-2.se'));
    await t.ledger.executeGrant('sos-po-2021', { type: 'ReleaseAllocation', data: { allocationId: 'a-po', amount: '100000.00', releasedOn: '2021-12-01' } }, context());
    await t.ledger.executeGrant('sos-po-2021', { type: 'ReturnFunds', data: { amount: '100000.00', returnedOn: '2021-12-20', reference: 'Återbetalning' } }, context());
    await t.ledger.executeGrant('tvv-seg-2021', { type: 'AmendGrant', data: { reason: 'Beslutet gällde 8 100 000 kr', amount: '8100000.00' } }, context());
    const exported = exportSie(t.ledger, 2021, MAPPING, '0.1.0');
    expect(exported.bytes.includes(Buffer.from('\r\n'))).toBe(true);
    expect(exported.bytes.includes(Buffer.from([0x94]))).toBe(true); // "ö" of Sjöbo in PC8

    const read = await readSieFully([exported.bytes]);
    expect(read.problems).toEqual([]);
    expect(read.header.companyName).toBe('Sjöbo kommun');
    expect(read.verificationsRead).toBe(exported.verifications);
    const byAccount = new Map<string, string>();
    const byGrant = new Map<string, string>();
    for (const v of read.verifications) {
      for (const tr of v.transactions) {
        byAccount.set(tr.account, tr.amount.plus(byAccount.get(tr.account) ?? 0).toFixed(2));
        const grantObject = tr.objects.find((o) => o.dimension === '6')?.object;
        if (tr.account === '3510' && grantObject) byGrant.set(grantObject, tr.amount.neg().plus(byGrant.get(grantObject) ?? 0).toFixed(2));
      }
    }
    const tvv = t.ledger.grant('tvv-seg-2021', {})!.view;
    const po = t.ledger.grant('sos-po-2021', {})!.view;
    // Bank: received less returned; prepaid income: what is unused; revenue: what was spent.
    expect(byAccount.get('1930')).toBe('9500000.00');
    expect(byAccount.get('2971')).toBe(`-${(Number(tvv.unused) + Number(po.unused)).toFixed(2)}`);
    expect(byAccount.get('3510')).toBe('-250000.00');
    expect(byGrant.get('TVV-SEG-2021')).toBe(tvv.spent);
    expect(socialnamnden2021().grantRevenue).toBe('250000.00');
  });
});

describe('atomicity across streams', () => {
  it('on SQLite, one refused append of a multi-stream append stores nothing of any', async () => {
    const store = t.ledger.store;
    const before = await t.eventCount();
    const event = (id: string): NewEvent => ({ eventId: id, type: 'Probe', data: {}, metadata: { actor: 'test', commandId: id, correlationId: id } });
    await expect(
      store.appendToStreams!([
        { streamId: 'probe-a', events: [event('00000000-0000-4000-8000-00000000000a')], expectedRevision: 'no_stream' },
        { streamId: 'grant-tvv-seg-2021', events: [event('00000000-0000-4000-8000-00000000000b')], expectedRevision: 0 },
      ]),
    ).rejects.toMatchObject({ type: 'wrong-expected-version' });
    expect(await t.eventCount()).toBe(before);
  });

  it('without multi-stream appends (as on EventStoreDB), an import cut off midway is completed by importing the file again', async () => {
    await t.close();
    let failNext = true;
    const streamsWritten: string[] = [];
    t = await sieLedger((inner) => {
      const store: EventStore = {
        description: inner.description,
        readStream: (...args) => inner.readStream(...args),
        readAll: (...args) => inner.readAll(...args),
        headPosition: () => inner.headPosition(),
        subscribeToAll: (...args) => inner.subscribeToAll(...args),
        close: () => inner.close(),
        appendToStream: async (streamId: string, events: readonly NewEvent[], options: { expectedRevision: ExpectedRevision }): Promise<AppendResult> => {
          // The first budget append of an import fails, after its grant appends went through.
          if (failNext && streamId.startsWith('budget-') && events[0]!.type === 'OutcomeRecorded') {
            failNext = false;
            throw new Error('connection lost');
          }
          streamsWritten.push(streamId);
          return inner.appendToStream(streamId, events, options);
        },
      };
      return store;
    });
    await expect(run(fixture('kommun-2021-1.se'))).rejects.toThrow('connection lost');
    expect(t.ledger.grant('tvv-seg-2021', {})!.view.spent).toBe('200000.00');
    const completed = await run(fixture('kommun-2021-1.se'));
    expect(completed.status).toBe('imported');
    expect(t.ledger.grant('tvv-seg-2021', {})!.view.spent).toBe('200000.00');
    expect(socialnamnden2021()).toMatchObject({ costs: '951000.25', revenues: '25000.50', grantRevenue: '200000.00' });
    expect((await run(fixture('kommun-2021-1.se'))).status).toBe('nothing-new');
    expect(streamsWritten.filter((s) => s === 'grant-tvv-seg-2021').length).toBeGreaterThan(0);
  });
});
