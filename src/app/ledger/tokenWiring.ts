import type { EventStore } from '../../store/port.js';
import { TOKENS_STREAM } from '../../domain/access.js';
import { TokenRegistry } from '../tokens.js';
import type { LedgerReadModel } from '../readModel/index.js';
import type { LedgerCommands } from './commands.js';

/**
 * The token registry wired to the ledger: it reads the read model's token table and appends to
 * the tokens stream through the write side (so a store fault shows on /health), then waits until
 * the read model has the new token.
 */
export function tokenRegistryOf(store: EventStore, readModel: LedgerReadModel, commands: LedgerCommands, clock: () => Date): TokenRegistry {
  return new TokenRegistry(store, readModel, clock, async (events, expectedRevision) => {
    const result = await commands.watchingStore(store.appendToStream(TOKENS_STREAM, events, { expectedRevision }));
    await readModel.waitFor(result.position);
    return result.position;
  });
}
