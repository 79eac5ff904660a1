#!/usr/bin/env node
import { ConfigError } from '../config.js';
import { serveCommand } from './commands/serve.js';
import { tokenCreateCommand, tokenListCommand, tokenRevokeCommand } from './commands/token.js';
import {
  reportActivitiesCommand,
  reportCommitteeResultsCommand,
  reportEarlyWarningCommand,
  reportGrantStatementCommand,
  reportReportsDueCommand,
  reportResultFundCommand,
  reportUnusedGrantsCommand,
  reportYearEndCommand,
} from './commands/report.js';
import { checkProofCommand, digestCommand, proveCommand, treeHeadCommand, treeHeadSignTailCommand, verifyCommand } from './commands/audit.js';
import { replayCommand } from './commands/replay.js';
import { exportCommand, importCommand } from './commands/transfer.js';
import { logCommand } from './commands/log.js';
import { copyCommand } from './commands/copy.js';
import { exportSieCommand, importSieCommand } from './commands/sie.js';
import { UsageError, type CliCommand } from './usage.js';

/** Every command of the CLI; each lives in its own file under commands/. */
const COMMANDS: readonly CliCommand[] = [
  serveCommand,
  tokenCreateCommand,
  tokenListCommand,
  tokenRevokeCommand,
  reportUnusedGrantsCommand,
  reportCommitteeResultsCommand,
  reportActivitiesCommand,
  reportGrantStatementCommand,
  reportReportsDueCommand,
  reportYearEndCommand,
  reportResultFundCommand,
  reportEarlyWarningCommand,
  replayCommand,
  verifyCommand,
  digestCommand,
  treeHeadCommand,
  treeHeadSignTailCommand,
  proveCommand,
  checkProofCommand,
  exportCommand,
  importCommand,
  copyCommand,
  logCommand,
  importSieCommand,
  exportSieCommand,
];

function usage(): string {
  return [
    'Usage: grantledger <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.flatMap((command) => [`  ${command.usage}`, `      ${command.summary}`]),
    '',
    'Every command works on the store that LEDGER_STORE names (default sqlite:./data/ledger.db).',
  ].join('\n');
}

function find(argv: string[]): { command: CliCommand; args: string[] } {
  const matches = COMMANDS.filter((command) => command.words.every((word, index) => argv[index] === word));
  const command = matches.sort((a, b) => b.words.length - a.words.length)[0];
  if (!command) throw new UsageError(argv.length === 0 ? 'no command given' : `unknown command: ${argv.slice(0, 2).join(' ')}`);
  return { command, args: argv.slice(command.words.length) };
}

async function main(argv: string[]): Promise<void> {
  if (argv[0] === 'help' || argv[0] === '--help' || argv[0] === '-h') {
    process.stdout.write(`${usage()}\n`);
    return;
  }
  const { command, args } = find(argv);
  await command.run(args);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof UsageError || error instanceof ConfigError) {
    process.stderr.write(`grantledger: ${message}\n\n${usage()}\n`);
    process.exit(2);
  }
  process.stderr.write(`grantledger: ${message}\n`);
  process.exit(1);
});
