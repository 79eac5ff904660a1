import { replay } from '../../app/replay.js';
import { KnownAt } from '../../domain/querySchemas.js';
import { withLedger } from '../storeSession.js';
import { optionValue, Progress } from '../output.js';
import { CheckFailed, parseOptions, type CliCommand } from '../usage.js';

export const replayCommand: CliCommand = {
  words: ['replay'],
  usage: 'replay [--known-at T] [--progress]',
  summary: 'rebuild every projection from position 0 and compare it with the live read models (exit 1 if they differ)',
  async run(args) {
    const { values } = parseOptions(args, { 'known-at': { type: 'string' }, progress: { type: 'boolean' } });
    const knownAt = optionValue('known-at', KnownAt, values['known-at']);
    const progress = Progress.for('replay', values.progress);
    const result = await withLedger((ledger) => replay(ledger.store, ledger, { knownAt, onProgress: (done, total) => progress.update(done, total) }));
    const lines = [progress.summary(result.events), `replayed up to position ${result.position}${knownAt ? ` (known at ${knownAt})` : ''}`];
    if (result.differences.length === 0) lines.push('projections: identical to the live read models');
    else {
      lines.push(`projections: ${result.differences.length} DIFFERENCES from the live read models`);
      for (const difference of result.differences) {
        lines.push(`  ${difference.where} ${difference.field}: replayed ${JSON.stringify(difference.replayed)}, live ${JSON.stringify(difference.live)}`);
      }
    }
    process.stdout.write(`${lines.join('\n')}\n`);
    if (result.differences.length > 0) throw new CheckFailed('the replayed projections differ from the live read models');
  },
};
