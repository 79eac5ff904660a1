import { Role, TokenName } from '../../domain/access.js';
import { withLedger } from '../storeSession.js';
import { parseOptions, UsageError, type CliCommand } from '../usage.js';

export const tokenCreateCommand: CliCommand = {
  words: ['token', 'create'],
  usage: 'token create --name NAME --role ekonom|revisor|admin',
  summary: 'issue a bearer token; printed once, only its hash is stored',
  async run(args) {
    const { values } = parseOptions(args, { name: { type: 'string' }, role: { type: 'string' } });
    const name = TokenName.safeParse(values.name);
    if (!name.success) throw new UsageError(`--name ${values.name === undefined ? 'is required' : name.error.issues[0]!.message}`);
    const role = Role.safeParse(values.role);
    if (!role.success) throw new UsageError(`--role ${values.role === undefined ? 'is required' : role.error.issues[0]!.message}`);
    const issued = await withLedger((ledger) => ledger.issueToken(name.data, role.data, `cli:${process.env.USER ?? 'unknown'}`));
    process.stdout.write(`${JSON.stringify(issued)}\n`);
  },
};
