/**
 * Generates a large, realistic log for measuring export, import, replay and verify: grants
 * (received, an installment, two allocations, spending, a report) and committee budgets
 * (a frame, twelve months of outcomes per activity, two forecasts), streams interleaved in the
 * global order as many users' work is, with valid hash chains and recordedAt that never
 * decreases. Written through the store's importRecorded, in one transaction, into an empty store.
 *
 *   LEDGER_STORE=sqlite:/tmp/big.db node dist/scripts/generate-log.js --events 1000000
 *
 * Generated data is for measurement only: never commit it.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { parseConfig } from '../src/config.js';
import { openStore } from '../src/store/openStore.js';
import { eventHash, GENESIS_HASH } from '../src/store/hashChain.js';
import type { RecordedEvent } from '../src/store/port.js';

type Draft = { readonly type: string; readonly data: Record<string, unknown> };

const ACTIVITIES = ['IFO', 'AO', 'FN', 'EB'] as const;
const GRANTORS = ['Socialstyrelsen', 'Tillväxtverket', 'Migrationsverket', 'Skolverket'] as const;
const ACTORS = ['anna.ekonom', 'bo.ekonom', 'cecilia.ekonom', 'david.ekonom', 'import'] as const;

function grantStream(index: number): { streamId: string; drafts: Draft[] } {
  const year = 2015 + (index % 10);
  const grantId = `gen-grant-${index}`;
  const committee = `k${index % 290}-socialnamnden`;
  const drafts: Draft[] = [
    {
      type: 'GrantReceived',
      data: {
        grantId,
        grantor: GRANTORS[index % GRANTORS.length]!,
        title: `Riktat statsbidrag ${index}`,
        purpose: 'Stärkta insatser inom individ- och familjeomsorgen',
        kind: 'riktat',
        committee,
        amount: '1000000.00',
        receivedOn: `${year}-02-15`,
        useBy: `${year}-12-31`,
        repaymentRequired: index % 3 !== 0,
        reportDue: `${year + 1}-03-31`,
      },
    },
    { type: 'GrantInstallmentReceived', data: { amount: '200000.00', receivedOn: `${year}-06-15` } },
    { type: 'FundsAllocated', data: { allocationId: 'a1', activity: 'IFO', amount: '600000.00', allocatedOn: `${year}-03-01` } },
    { type: 'FundsAllocated', data: { allocationId: 'a2', activity: 'AO', amount: '400000.00', allocatedOn: `${year}-03-01` } },
  ];
  for (let month = 4; month <= 6; month += 1) {
    drafts.push({ type: 'FundsSpent', data: { allocationId: 'a1', amount: '100000.00', spentOn: `${year}-0${month}-15`, voucher: `V${index}-${month}` } });
  }
  for (let month = 7; month <= 8; month += 1) {
    drafts.push({ type: 'FundsSpent', data: { allocationId: 'a2', amount: '50000.50', spentOn: `${year}-0${month}-15`, voucher: `V${index}-${month}` } });
  }
  drafts.push({ type: 'GrantReportSubmitted', data: { submittedOn: `${year + 1}-02-28`, reference: `Rapport ${index}` } });
  return { streamId: `grant-${grantId}`, drafts };
}

function budgetStream(index: number): { streamId: string; drafts: Draft[] } {
  const year = 2015 + (index % 10);
  const committee = `k${Math.floor(index / 10)}-socialnamnden`;
  const drafts: Draft[] = [
    { type: 'AppropriationGranted', data: { committee, fiscalYear: year, amount: '120000000.00', decidedOn: `${year - 1}-11-25`, decisionRef: `KF ${year - 1} § ${index % 200}` } },
  ];
  for (let month = 1; month <= 12; month += 1) {
    const period = `${year}-${String(month).padStart(2, '0')}`;
    for (const activity of ACTIVITIES) {
      drafts.push({ type: 'OutcomeRecorded', data: { period, activity, costs: '2450000.00', revenues: activity === 'AO' ? '150000.00' : '0.00' } });
    }
    if (month === 4 || month === 8) drafts.push({ type: 'ForecastRecorded', data: { afterPeriod: period, deviation: month === 4 ? '1000000.00' : '-500000.00' } });
  }
  return { streamId: `budget-${committee}-${year}`, drafts };
}

/** Streams in groups of 100, interleaved round-robin within each group, until `total` events. */
async function* generate(total: number): AsyncIterable<RecordedEvent> {
  const start = Date.parse('2015-01-01T00:00:00.000Z');
  let position = 0;
  let grants = 0;
  let budgets = 0;
  while (position < total) {
    const group: Array<{ streamId: string; drafts: Draft[]; next: number; prevHash: string }> = [];
    for (let slot = 0; slot < 100; slot += 1) {
      // Six grant events for every four budget events, as in a municipality's year.
      const stream = slot % 5 < 3 ? grantStream(grants++) : budgetStream(budgets++);
      group.push({ ...stream, next: 0, prevHash: GENESIS_HASH });
    }
    let active = group.length;
    while (active > 0 && position < total) {
      active = 0;
      for (const stream of group) {
        if (stream.next >= stream.drafts.length || position >= total) continue;
        active += 1;
        const draft = stream.drafts[stream.next]!;
        position += 1;
        const revision = stream.next;
        stream.next += 1;
        const eventId = randomUUID();
        const actor = ACTORS[position % ACTORS.length]!;
        const recordedAt = new Date(start + position * 60_000).toISOString();
        const fields = { streamId: stream.streamId, revision, eventId, type: draft.type, recordedAt, actor, commandId: eventId, correlationId: eventId, data: draft.data };
        const hash = eventHash(stream.prevHash, fields);
        yield {
          eventId,
          streamId: stream.streamId,
          type: draft.type,
          revision,
          position,
          data: draft.data,
          metadata: { actor, commandId: eventId, correlationId: eventId, recordedAt, prevHash: stream.prevHash, hash },
        };
        stream.prevHash = hash;
      }
    }
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { events: { type: 'string', default: '1000000' } }, strict: true });
  const total = Number(values.events);
  if (!Number.isSafeInteger(total) || total < 1 || total > 100_000_000) throw new Error('--events must be a whole number from 1 to 100000000');
  const config = parseConfig(process.env);
  const store = await openStore(config.LEDGER_STORE);
  const started = process.hrtime.bigint();
  try {
    if (!store.importRecorded) throw new Error(`${store.description} cannot import`);
    const count = await store.importRecorded(generate(total), {
      onProgress: (loaded) => {
        if (loaded % 100_000 === 0) process.stderr.write(`generated ${loaded} events\n`);
      },
    });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    process.stdout.write(`generated ${count} events into ${store.description} in ${seconds.toFixed(1)} s\n`);
  } finally {
    await store.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`generate-log: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
