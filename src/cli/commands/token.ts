import { ExpiresInDays, IssuableTokenName, Role } from '../../domain/access.js';
import { cliActor, TokenNameTakenError, UnknownTokenError } from '../../app/tokens.js';
import { withLedger } from '../storeSession.js';
import { parseOptions, UsageError, type CliCommand } from '../usage.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const tokenCreateCommand: CliCommand = {
  words: ['token', 'create'],
  usage: 'token create --name NAME --role ekonom|revisor|admin [--expires-in-days N]',
  summary: 'issue a bearer token (default 90 days, at most 365); printed once, only its hash is stored',
  async run(args) {
    const { values } = parseOptions(args, { name: { type: 'string' }, role: { type: 'string' }, 'expires-in-days': { type: 'string' } });
    const name = IssuableTokenName.safeParse(values.name);
    if (!name.success) throw new UsageError(`--name ${values.name === undefined ? 'is required' : name.error.issues[0]!.message}`);
    const role = Role.safeParse(values.role);
    if (!role.success) throw new UsageError(`--role ${values.role === undefined ? 'is required' : role.error.issues[0]!.message}`);
    const daysText = values['expires-in-days'];
    let days: number | undefined;
    if (daysText !== undefined) {
      const parsed = ExpiresInDays.safeParse(/^\d{1,4}$/.test(daysText) ? Number(daysText) : Number.NaN);
      if (!parsed.success) throw new UsageError(`--expires-in-days ${parsed.error.issues[0]!.message}`);
      days = parsed.data;
    }
    const issued = await withLedger(async (ledger) => {
      try {
        return await ledger.tokens.issue(name.data, role.data, days, cliActor(process.env.USER));
      } catch (error) {
        if (error instanceof TokenNameTakenError) throw new UsageError(error.message);
        throw error;
      }
    });
    process.stdout.write(`${JSON.stringify(issued)}\n`);
  },
};

export const tokenListCommand: CliCommand = {
  words: ['token', 'list'],
  usage: 'token list [--json]',
  summary: 'list every token: id, name, role, created, expires, revoked (never a secret)',
  async run(args) {
    const { values } = parseOptions(args, { json: { type: 'boolean' } });
    const tokens = await withLedger(async (ledger) => ledger.tokens.list());
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ tokens })}\n`);
      return;
    }
    const now = new Date().toISOString();
    const lines = tokens.map((token) => {
      const state = token.revokedAt !== null ? `revoked ${token.revokedAt}` : token.expiresAt <= now ? `expired ${token.expiresAt}` : `live until ${token.expiresAt}`;
      return `${token.tokenId}  ${token.name.padEnd(24)} ${token.role.padEnd(8)} ${state}`;
    });
    process.stdout.write(`${lines.join('\n')}${lines.length > 0 ? '\n' : ''}`);
  },
};

export const tokenRevokeCommand: CliCommand = {
  words: ['token', 'revoke'],
  usage: 'token revoke TOKEN_ID',
  summary: 'revoke a token: every server on this store refuses it within a second',
  async run(args) {
    const { positionals } = parseOptions(args, {}, true);
    if (positionals.length !== 1 || !UUID.test(positionals[0]!)) throw new UsageError('token revoke needs one token id (a uuid, as token list shows it)');
    await withLedger(async (ledger) => {
      try {
        await ledger.tokens.revoke(positionals[0]!, cliActor(process.env.USER));
      } catch (error) {
        if (error instanceof UnknownTokenError) throw new UsageError(error.message);
        throw error;
      }
    });
    process.stdout.write(`revoked ${positionals[0]}\n`);
  },
};
