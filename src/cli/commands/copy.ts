import { openStore } from '../../store/openStore.js';
import type { EventStore, RecordedEvent } from '../../store/port.js';
import { logDigest, verifyChains } from '../../app/audit.js';
import { formatDigest } from '../../domain/merkle.js';
import { Progress } from '../output.js';
import { CheckFailed, parseOptions, UsageError, type CliCommand } from '../usage.js';

const STORE_URL = /^(sqlite:.+|esdb(\+discover)?:\/\/.+)$/;

/** Compares the two logs event by event: same order, ids, streams, revisions and hashes. */
async function firstDifference(source: EventStore, target: EventStore): Promise<string | null> {
  const targetEvents = target.readAll()[Symbol.asyncIterator]();
  let index = 0;
  for await (const event of source.readAll()) {
    const next = await targetEvents.next();
    if (next.done) return `the copy ends after ${index} events`;
    const copy: RecordedEvent = next.value;
    for (const field of ['eventId', 'streamId', 'revision', 'type'] as const) {
      if (copy[field] !== event[field]) return `event ${index + 1}: ${field} ${String(copy[field])} instead of ${String(event[field])}`;
    }
    if (copy.metadata.hash !== event.metadata.hash) return `event ${index + 1} (${event.eventId}): hash differs`;
    index += 1;
  }
  return (await targetEvents.next()).done ? null : `the copy holds more than the ${index} events of the source`;
}

/**
 * grantledger copy: how a municipality moves from the embedded file to an EventStoreDB cluster.
 * The source's chains are verified first, every stream is copied in global order keeping ids,
 * metadata and hashes, and the copy is verified: same events, same hashes, same digest.
 */
export const copyCommand: CliCommand = {
  words: ['copy'],
  usage: 'copy --from STORE --to STORE [--progress]',
  summary: 'copy every event to an empty store (e.g. sqlite:… to esdb://…), keeping ids, metadata and hashes, then verify',
  async run(args) {
    const { values } = parseOptions(args, { from: { type: 'string' }, to: { type: 'string' }, progress: { type: 'boolean' } });
    for (const option of ['from', 'to'] as const) {
      const url = values[option];
      if (url === undefined) throw new UsageError(`--${option} is required`);
      if (!STORE_URL.test(url)) throw new UsageError(`--${option} must be sqlite:<path> or esdb://host:2113?tls=false`);
    }
    if (values.from === values.to) throw new UsageError('--from and --to name the same store');
    const signingKey = process.env.LEDGER_SIGNING_KEY || undefined;
    const source = await openStore(values.from!, { signingKey });
    let target: EventStore | null = null;
    try {
      // Both stores use the key LEDGER_SIGNING_KEY names, as every command does (EventStoreDB has no file to put one beside).
      target = await openStore(values.to!, { signingKey });
      if (!target.importRecorded) throw new UsageError(`${target.description} cannot take a copy`);
      if ((await target.headPosition()) !== 0) throw new UsageError(`${target.description} is not empty; copy only into an empty store`);
      const total = await source.headPosition();

      const checking = Progress.for('verify source', values.progress);
      const chains = await verifyChains(source, (count) => checking.update(count, total));
      process.stderr.write(`${checking.summary(chains.events)}\n`);
      if (!chains.ok) {
        const first = chains.failures[0]!;
        throw new CheckFailed(`the source's chains are broken (${first.problem} at ${first.streamId} revision ${first.revision}); nothing copied`);
      }

      const copying = Progress.for('copy', values.progress);
      const copied = await target.importRecorded(source.readAll(), { onProgress: (loaded) => copying.update(loaded, chains.events) });
      process.stderr.write(`${copying.summary(copied)}\n`);

      const difference = await firstDifference(source, target);
      if (difference) throw new CheckFailed(`the copy differs from the source: ${difference}`);
      const [sourceDigest, targetDigest] = await Promise.all([logDigest(source), logDigest(target)]);
      if (!sourceDigest || !targetDigest || formatDigest(sourceDigest) !== formatDigest(targetDigest)) {
        throw new CheckFailed('the copy has another digest than the source');
      }
      process.stdout.write(
        `${JSON.stringify({ copied, streams: chains.streams, from: source.description, to: target.description, digest: formatDigest(targetDigest) })}\n`,
      );
    } finally {
      await source.close();
      await target?.close();
    }
  },
};
