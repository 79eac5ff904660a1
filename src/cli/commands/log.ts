import { exportedEvent, findEvents } from '../../app/audit.js';
import { FromMoment as From, KnownAt } from '../../domain/querySchemas.js';
import { withStore } from '../storeSession.js';
import { optionValue, Output } from '../output.js';
import { parseOptions, UsageError, type CliCommand } from '../usage.js';

export const logCommand: CliCommand = {
  words: ['log'],
  usage: 'log [--actor NAME] [--from D|T] [--to D|T] [--type TYPE] [--format table|ndjson]',
  summary: 'who recorded what: the events that match, in global order (dates: from the start, to the end of the day)',
  async run(args) {
    const { values } = parseOptions(args, { actor: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, type: { type: 'string' }, format: { type: 'string' } });
    const from = optionValue('from', From, values.from);
    const to = optionValue('to', KnownAt, values.to);
    const format = values.format ?? 'table';
    if (format !== 'table' && format !== 'ndjson') throw new UsageError('--format must be table or ndjson');
    const filter = { actor: values.actor, from, to, type: values.type };
    const output = Output.open(undefined);
    const count = await withStore(async (store) => {
      let after = 0;
      let found = 0;
      // Bounded: every page moves `after` forward, and the log is finite.
      for (;;) {
        const page = await findEvents(store, filter, { after, limit: 1000 });
        for (const event of page) {
          const line =
            format === 'ndjson'
              ? JSON.stringify(exportedEvent(event))
              : [event.metadata.recordedAt, event.metadata.actor.padEnd(16), event.type.padEnd(24), `${event.streamId}@${event.revision}`, JSON.stringify(event.data)].join('  ');
          await output.write(`${line}\n`);
        }
        found += page.length;
        if (page.length < 1000) return found;
        after = page[page.length - 1]!.position;
      }
    });
    if (format === 'table') process.stderr.write(`${count} events\n`);
  },
};
