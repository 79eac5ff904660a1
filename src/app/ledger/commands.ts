import { StoreUnavailableError, type EventStore } from '../../store/port.js';
import { grantStreamName } from '../../domain/grant/events.js';
import type { GrantCommand } from '../../domain/grant/commands.js';
import { budgetStreamName, type BudgetKey } from '../../domain/budget/events.js';
import type { BudgetCommand } from '../../domain/budget/commands.js';
import { formatMoney, ZERO } from '../../domain/money.js';
import { CommandHandler, type CommandContext, type CommandOutcome } from '../commandHandler.js';
import { budgetDeciderWith, grantDeciderWith } from '../deciders.js';
import { KeyedReadWriteLock } from '../keyedMutex.js';
import type { LedgerReadModel } from '../readModel/index.js';
import { RevenueTotals, revenueKeyOf } from '../../../projections/committeeResults.js';

/**
 * The write side: commands go through the deciders to the store, under the committee's period
 * lock, and each waits until the read model has seen its events, so a client reads its own write.
 */
export class LedgerCommands {
  private readonly handler: CommandHandler;
  /** Per committee: entries take it shared, closing or reopening a year exclusive. */
  private readonly periods = new KeyedReadWriteLock();
  /** The last store fault a command met; cleared when a later write succeeds. */
  storeFault: StoreUnavailableError | null = null;

  constructor(
    store: EventStore,
    private readonly readModel: LedgerReadModel,
    private readonly catchUp: () => Promise<void>,
    /** Throws while commands must wait (a background rebuild of the read model): before anything is decided. */
    readonly assertWritable: () => void = () => undefined,
  ) {
    this.handler = new CommandHandler(store);
  }

  /**
   * A stopped read model means the log holds an event the ledger cannot account for: new entries
   * wait until it is repaired, and are refused before anything is decided or written.
   */
  async executeGrant(grantId: string, command: GrantCommand, context: CommandContext): Promise<CommandOutcome> {
    this.readModel.assertRunning();
    this.assertWritable();
    const committees = this.committeesOf(grantId, command);
    return this.periods.sharedAll(committees, async () =>
      this.settled(await this.watchingStore(this.handler.handle(grantStreamName(grantId), grantDeciderWith(this.readModel), command, context))),
    );
  }

  /** The committees whose periods a grant command touches: its own, and the one it moves to. */
  private committeesOf(grantId: string, command: GrantCommand): string[] {
    if (command.type === 'ReceiveGrant') return [command.data.committee];
    const committee = this.readModel.grantCommittee(grantId);
    const movedTo = command.type === 'AmendGrant' ? command.data.committee : undefined;
    return [committee, movedTo].filter((name): name is string => name !== undefined);
  }

  /**
   * Closing a year, or reopening it by reversing its closing, takes the committee's periods
   * exclusively: no entry of the committee is decided meanwhile in this process.
   */
  async executeBudget(key: BudgetKey, command: BudgetCommand, context: CommandContext): Promise<CommandOutcome> {
    this.readModel.assertRunning();
    this.assertWritable();
    const run = async () =>
      this.settled(await this.watchingStore(this.handler.handle(budgetStreamName(key), budgetDeciderWith(this.readModel), command, context)));
    return command.type === 'ReverseEntry' || command.type === 'CloseFiscalYear' ? this.periods.exclusive(key.committee, run) : this.periods.shared(key.committee, run);
  }

  /**
   * Closing a year needs the committee's grant revenue, which lives in the grant streams: read it
   * from the read model, caught up with the store, and hand it to the pure decider.
   */
  async closeFiscalYear(key: BudgetKey, data: { closedOn: string; carriedForward?: string | undefined }, context: CommandContext): Promise<CommandOutcome> {
    const closeData = data.carriedForward === undefined ? { closedOn: data.closedOn } : { closedOn: data.closedOn, carriedForward: data.carriedForward };
    this.readModel.assertRunning();
    this.assertWritable();
    return this.periods.exclusive(key.committee, async () => {
      await this.catchUp();
      const revenue = new RevenueTotals();
      for (const grantId of this.readModel.grantIdsOfCommittee(key.committee)) revenue.add(this.readModel.grantRevenue(grantId, {}));
      const yearRevenue = revenue.toMoney().get(revenueKeyOf(key.committee, key.fiscalYear)) ?? ZERO;
      const command: BudgetCommand = { type: 'CloseFiscalYear', budget: key, data: closeData, grantRevenue: formatMoney(yearRevenue) };
      return this.settled(await this.watchingStore(this.handler.handle(budgetStreamName(key), budgetDeciderWith(this.readModel), command, context)));
    });
  }

  /** Remembers a store fault for /health until a write gets through again. */
  async watchingStore<T>(work: Promise<T>): Promise<T> {
    try {
      const result = await work;
      this.storeFault = null;
      return result;
    } catch (error) {
      if (error instanceof StoreUnavailableError) this.storeFault = error;
      throw error;
    }
  }

  /**
   * Waits until the read model shows the command's events, so the caller reads its own write.
   * The events are durable already: if the read model is slow or has stopped (health says so),
   * the command still succeeded, and answering otherwise would invite a duplicate retry.
   */
  private async settled(outcome: CommandOutcome): Promise<CommandOutcome> {
    try {
      await this.readModel.waitFor(outcome.position);
    } catch {
      // Reported by /health (a stopped projection) or transient (a slow catch-up).
    }
    return outcome;
  }
}
