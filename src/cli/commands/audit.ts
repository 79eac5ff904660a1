import { readFileSync } from 'node:fs';
import {
  checkDigest,
  checkProof,
  logDigest,
  proveConsistency,
  proveInclusion,
  verifyLog,
  type AuditFailure,
} from '../../app/audit.js';
import { formatDigest } from '../../domain/merkle.js';
import { withStore } from '../storeSession.js';
import { checkOutPath, digestOption, Output, Progress } from '../output.js';
import { CheckFailed, parseOptions, UsageError, type CliCommand } from '../usage.js';

function describeFailure(failure: AuditFailure): string {
  return `${failure.streamId} revision ${failure.revision} (event ${failure.eventId}): ${failure.problem}`;
}

export const verifyCommand: CliCommand = {
  words: ['verify'],
  usage: 'verify [--digest DIGEST] [--progress]',
  summary: 'recompute every hash chain; with --digest, prove the log still holds exactly that prefix',
  async run(args) {
    const { values } = parseOptions(args, { digest: { type: 'string' }, progress: { type: 'boolean' } });
    const claimed = digestOption('digest', values.digest);
    const progress = Progress.for('verify', values.progress);
    const failed = await withStore(async (store) => {
      const total = await store.headPosition();
      const chains = await verifyLog(store, (count) => count % 5000 === 0 && progress.update(count, total));
      progress.update(chains.events, total);
      const lines = [progress.summary(chains.events), `streams: ${chains.streams}, events: ${chains.events}`];
      const chainsOk = chains.failures.length === 0;
      if (chainsOk) lines.push('hash chains: ok');
      else lines.push(`hash chains: BROKEN; first broken event: ${describeFailure(chains.failures[0]!)}`, ...chains.failures.slice(1).map((failure) => `  also: ${describeFailure(failure)}`));
      if (chains.treeHead) {
        const head = chains.treeHead;
        lines.push(`signed tree head: ${head.ok ? 'ok' : 'FAILED'}: ${head.detail}`);
        if (head.unsignedEvents > 0) lines.push(`unsigned events: ${head.unsignedEvents}`);
      } else {
        lines.push('signed tree head: none (this store has no signing key)');
      }
      let ok = chains.ok;
      if (claimed) {
        const digest = await checkDigest(store, claimed);
        lines.push(`digest: ${digest.ok ? 'ok' : 'MISMATCH'}: ${digest.detail}`);
        if (!digest.ok) lines.push(`  kept:   ${digest.claimed}`, `  now:    ${digest.actual ?? '(the log is shorter)'}`);
        ok = ok && digest.ok;
      }
      process.stdout.write(`${lines.join('\n')}\n`);
      return !ok;
    });
    if (failed) throw new CheckFailed('verification failed: the log is not what it was');
  },
};

export const digestCommand: CliCommand = {
  words: ['digest'],
  usage: 'digest [--json]',
  summary: 'print the digest of the whole log (RFC 6962 tree head, size and time) for auditors to keep',
  async run(args) {
    const { values } = parseOptions(args, { json: { type: 'boolean' } });
    const digest = (await withStore((store) => logDigest(store)))!;
    const text = formatDigest(digest);
    process.stdout.write(values.json ? `${JSON.stringify({ digest: text, treeSize: digest.treeSize, root: digest.rootHex, time: digest.time })}\n` : `${text}\n`);
  },
};

export const proveCommand: CliCommand = {
  words: ['prove'],
  usage: 'prove --from OLD --to NEW | prove --event EVENT_ID [--to DIGEST] [--out FILE [--force]]',
  summary: 'a consistency proof between two digests, or an inclusion proof of one event, checkable without the database',
  async run(args) {
    const { values } = parseOptions(args, { from: { type: 'string' }, to: { type: 'string' }, event: { type: 'string' }, out: { type: 'string' }, force: { type: 'boolean' } });
    if (values.out !== undefined) checkOutPath(values.out, values.force === true);
    const from = digestOption('from', values.from);
    const to = digestOption('to', values.to);
    if (values.event === undefined && (from === undefined || to === undefined)) throw new UsageError('give --from and --to (consistency) or --event (inclusion)');
    if (values.event !== undefined && from !== undefined) throw new UsageError('--event goes with --to only');
    const proof = await withStore(async (store) => {
      if (values.event !== undefined) {
        const digest = to ?? (await logDigest(store))!;
        return proveInclusion(store, values.event, digest);
      }
      return proveConsistency(store, from!, to!);
    });
    const output = Output.open(values.out, { force: values.force });
    await output.write(`${JSON.stringify(proof, null, 2)}\n`);
    await output.close();
  },
};

export const checkProofCommand: CliCommand = {
  words: ['check-proof'],
  usage: 'check-proof FILE|-',
  summary: 'check a proof from grantledger prove, without the database (exit 1 if it does not hold)',
  async run(args) {
    const { positionals } = parseOptions(args, {}, true);
    if (positionals.length !== 1) throw new UsageError('give one proof file, or - for standard input');
    let proof: unknown;
    try {
      proof = JSON.parse(readFileSync(positionals[0] === '-' ? 0 : positionals[0]!, 'utf8'));
    } catch (error) {
      throw new UsageError(`cannot read the proof: ${(error as Error).message}`);
    }
    const check = checkProof(proof);
    process.stdout.write(`${check.ok ? 'proof holds' : 'PROOF FAILS'}: ${check.detail}\n`);
    if (!check.ok) throw new CheckFailed('the proof does not hold');
  },
};

export const treeHeadCommand: CliCommand = {
  words: ['tree-head'],
  usage: 'tree-head [--json] [--public-key]',
  summary: 'print the latest signed tree head (size, root, time, Ed25519 signature); --public-key prints the key that verifies it',
  async run(args) {
    const { values } = parseOptions(args, { json: { type: 'boolean' }, 'public-key': { type: 'boolean' } });
    const text = await withStore(async (store) => {
      if (!store.signer || !store.latestTreeHead) throw new CheckFailed('this store signs no tree heads');
      if (values['public-key']) return store.signer.publicKeyPem().trimEnd();
      const head = await store.latestTreeHead();
      if (!head) throw new CheckFailed('no signed tree head yet: nothing was committed with the signing key');
      const digest = formatDigest({ treeSize: head.size, rootHex: head.root, time: head.time });
      if (values.json) return JSON.stringify({ ...head, digest });
      return [`size: ${head.size}`, `root: ${head.root}`, `time: ${head.time}`, `keyId: ${head.keyId}`, `signature: ${head.signature}`, `digest: ${digest}`].join('\n');
    });
    process.stdout.write(`${text}\n`);
  },
};
