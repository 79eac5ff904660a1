import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { Ledger } from '../../src/app/ledger.js';
import { SqliteEventStore } from '../../src/store/sqlite/sqliteEventStore.js';
import { DomainError, type DomainRule } from '../../src/domain/errors.js';
import type { GrantCommand } from '../../src/domain/grant/commands.js';
import type { BudgetCommand } from '../../src/domain/budget/commands.js';
import type { CommandOutcome } from '../../src/app/commandHandler.js';

type GrantData<T extends GrantCommand['type']> = Extract<GrantCommand, { type: T }>['data'];
type BudgetData<T extends BudgetCommand['type']> = Extract<BudgetCommand, { type: T }>['data'];

/**
 * A ledger on a real SQLite file, driven the way an ekonom would through the application layer,
 * with a clock the test moves: each entry is recorded one minute after the one before, from the
 * moment the test sets, so views as known at a moment can be asked for.
 */
export class LedgerScript {
  readonly ledger: Ledger;
  private readonly directory = mkdtempSync(join(tmpdir(), 'grantledger-script-'));
  private now: number;

  private constructor(start: string) {
    this.now = Date.parse(start);
    const clock = () => new Date(this.now);
    this.ledger = new Ledger(new SqliteEventStore(join(this.directory, 'ledger.db'), { clock, pollIntervalMs: 5 }), { clock });
  }

  static async start(start = '2021-01-01T08:00:00.000Z'): Promise<LedgerScript> {
    const script = new LedgerScript(start);
    await script.ledger.start();
    return script;
  }

  async close(): Promise<void> {
    await this.ledger.stop();
    await this.ledger.store.close();
    rmSync(this.directory, { recursive: true, force: true });
  }

  /** Moves the clock to a moment (ISO-8601); entries after it are recorded from there on. */
  at(moment: string): this {
    this.now = Date.parse(moment);
    return this;
  }

  /** The moment the last entry was recorded at. */
  get clock(): string {
    return new Date(this.now).toISOString();
  }

  private context() {
    this.now += 60_000;
    return { actor: 'ekonom', tokenId: 'cli', commandId: randomUUID(), correlationId: randomUUID() };
  }

  grant(grantId: string, command: GrantCommand): Promise<CommandOutcome> {
    return this.ledger.executeGrant(grantId, command, this.context());
  }

  budget(committee: string, fiscalYear: number, command: Omit<BudgetCommand, 'budget'>): Promise<CommandOutcome> {
    const key = { committee, fiscalYear };
    return this.ledger.executeBudget(key, { ...command, budget: key } as BudgetCommand, this.context());
  }

  receive(data: GrantData<'ReceiveGrant'>) {
    return this.grant(data.grantId, { type: 'ReceiveGrant', data });
  }
  installment(grantId: string, data: GrantData<'ReceiveInstallment'>) {
    return this.grant(grantId, { type: 'ReceiveInstallment', data });
  }
  allocate(grantId: string, data: GrantData<'AllocateFunds'>) {
    return this.grant(grantId, { type: 'AllocateFunds', data });
  }
  spend(grantId: string, data: GrantData<'SpendFunds'>) {
    return this.grant(grantId, { type: 'SpendFunds', data });
  }
  demand(grantId: string, data: GrantData<'DemandRepayment'>) {
    return this.grant(grantId, { type: 'DemandRepayment', data });
  }
  returnFunds(grantId: string, data: GrantData<'ReturnFunds'>) {
    return this.grant(grantId, { type: 'ReturnFunds', data });
  }
  closeGrant(grantId: string, closedOn: string) {
    return this.grant(grantId, { type: 'CloseGrant', data: { closedOn } });
  }
  amend(grantId: string, data: GrantData<'AmendGrant'>) {
    return this.grant(grantId, { type: 'AmendGrant', data });
  }
  reverseGrantEntry(grantId: string, eventId: string, reason = 'rättelse') {
    return this.grant(grantId, { type: 'ReverseEntry', data: { eventId, reason } });
  }

  appropriate(committee: string, year: number, data: BudgetData<'GrantAppropriation'>) {
    return this.budget(committee, year, { type: 'GrantAppropriation', data });
  }
  adjust(committee: string, year: number, data: BudgetData<'AdjustAppropriation'>) {
    return this.budget(committee, year, { type: 'AdjustAppropriation', data });
  }
  outcome(committee: string, year: number, data: BudgetData<'RecordOutcome'>) {
    return this.budget(committee, year, { type: 'RecordOutcome', data });
  }
  forecast(committee: string, year: number, data: BudgetData<'RecordForecast'>) {
    return this.budget(committee, year, { type: 'RecordForecast', data });
  }
  closeYear(committee: string, year: number, closedOn: string, carriedForward?: string) {
    const data = carriedForward === undefined ? { closedOn } : { closedOn, carriedForward };
    return this.ledger.closeFiscalYear({ committee, fiscalYear: year }, data, this.context());
  }
  reverseBudgetEntry(committee: string, year: number, eventId: string, reason = 'rättelse') {
    return this.budget(committee, year, { type: 'ReverseEntry', data: { eventId, reason } });
  }

  /** Runs a command that must be refused by a rule, and checks that nothing was written. */
  async refused(rule: DomainRule, act: () => Promise<unknown>, field?: string): Promise<DomainError> {
    const before = await this.ledger.store.headPosition();
    let refusal: unknown;
    try {
      await act();
    } catch (error) {
      refusal = error;
    }
    expect(refusal, `expected ${rule}`).toBeInstanceOf(DomainError);
    const error = refusal as DomainError;
    expect(error.rule, error.message).toBe(rule);
    if (field !== undefined) expect(error.field).toBe(field);
    expect(await this.ledger.store.headPosition(), 'a refused command writes nothing').toBe(before);
    return error;
  }

  /** The committee-year row of the committee results in a view. */
  year(committee: string, fiscalYear: number, clocks: { asOf?: string; knownAt?: string } = {}) {
    const row = this.ledger.committeeResults({ committee }, clocks).rows.find((candidate) => candidate.fiscalYear === fiscalYear);
    expect(row, `${committee} ${fiscalYear}`).toBeDefined();
    return row!;
  }

  view(grantId: string, clocks: { asOf?: string; knownAt?: string } = {}) {
    const found = this.ledger.grant(grantId, clocks);
    expect(found, grantId).not.toBeNull();
    return found!.view;
  }
}

/** A riktat grant's receipt with the fields a test does not care about filled in. */
export function riktat(grantId: string, over: Partial<GrantData<'ReceiveGrant'>> = {}): GrantData<'ReceiveGrant'> {
  return {
    grantId,
    grantor: 'Tillväxtverket',
    title: 'Minska och motverka segregation',
    purpose: 'Insatser mot segregation',
    kind: 'riktat',
    committee: 'socialnamnden',
    amount: '1000000.00',
    receivedOn: '2021-01-15',
    useBy: '2021-12-31',
    repaymentRequired: true,
    ...over,
  };
}

export function generellt(grantId: string, over: Partial<GrantData<'ReceiveGrant'>> = {}): GrantData<'ReceiveGrant'> {
  return riktat(grantId, { grantor: 'Migrationsverket', title: 'Schablonersättning', kind: 'generellt', repaymentRequired: false, ...over });
}
