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
import { Text } from '../../domain/schema.js';
import { reviewUnsignedTail, TailNotSignableError, type TailReview } from '../../app/tailReview.js';
import { cliActor } from '../../app/tokens.js';
import { TailSigningRefusedError } from '../../store/port.js';
import { verifyReview } from '../../store/treeHeads.js';
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
        if (head.unsignedEvents > 0 && head.rootMatches && head.signatureValid && store.signReviewedTail) {
          lines.push('  a writer may have stopped between its events and their head: review them with grantledger tree-head sign-tail');
        }
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
      const lines = [`size: ${head.size}`, `root: ${head.root}`, `time: ${head.time}`, `keyId: ${head.keyId}`, `signature: ${head.signature}`, `digest: ${digest}`];
      if (head.review) {
        const record = verifyReview(head, store.signer.publicKey) ? 'record signed' : 'RECORD SIGNATURE INVALID';
        lines.push(`signed after review of events ${head.review.fromSize + 1} to ${head.size} by ${head.review.by} at ${head.review.at} (${record}): ${head.review.reason}`);
      }
      return lines.join('\n');
    });
    process.stdout.write(`${text}\n`);
  },
};

const REASON = Text(500);
/** Events listed one a line; a tail longer than a killed writer's few events is listed whole by --json. */
const REVIEW_LINES_MAX = 200;

/** The review in words: what sign-tail would sign, and the command that signs exactly that. */
function describeReview(review: TailReview): string {
  const lines: string[] = [];
  const { head, events } = review;
  if (events.length === 0) return `nothing to sign: the signed tree head of ${head.size} events covers the whole log`;
  lines.push(`unsigned tail: ${events.length} event(s) beyond the signed tree head of ${head.size} events (events ${head.size + 1} to ${review.size})`);
  for (const event of events.slice(0, REVIEW_LINES_MAX)) {
    lines.push(`  ${event.index}  position ${event.position}  ${event.streamId} revision ${event.revision}  ${event.type}  recorded ${event.recordedAt}  by ${event.actor}  token ${event.tokenId ?? '(none)'}  event ${event.eventId}`);
  }
  if (events.length > REVIEW_LINES_MAX) lines.push(`  … and ${events.length - REVIEW_LINES_MAX} more (--json lists every one)`);
  for (const warning of review.warnings) lines.push(`warning: ${warning}`);
  lines.push(`the log now: size ${review.size}, root ${review.root}`);
  lines.push('after reviewing these events (grantledger log shows their data), sign exactly this log with:');
  lines.push(`  grantledger tree-head sign-tail --reviewed-size ${review.size} --reviewed-root ${review.root} --reason "<why these events are genuine>"`);
  return lines.join('\n');
}

function reviewJson(review: TailReview) {
  return { signedHead: { size: review.head.size, root: review.head.root }, size: review.size, root: review.root, events: review.events, warnings: review.warnings };
}

export const treeHeadSignTailCommand: CliCommand = {
  words: ['tree-head', 'sign-tail'],
  usage: 'tree-head sign-tail [--json] | tree-head sign-tail --reviewed-size N --reviewed-root ROOT --reason TEXT [--json]',
  summary:
    'show the events beyond the latest signed tree head (a writer stopped before signing them); with the size and root that review showed, sign them with the key and a record of who did it, so writes go on',
  async run(args) {
    const { values } = parseOptions(args, { 'reviewed-size': { type: 'string' }, 'reviewed-root': { type: 'string' }, reason: { type: 'string' }, json: { type: 'boolean' } });
    const sizeText = values['reviewed-size'];
    const rootText = values['reviewed-root'];
    const signing = sizeText !== undefined || rootText !== undefined || values.reason !== undefined;
    let reviewed: { size: number; root: string; reason: string } | null = null;
    if (signing) {
      if (sizeText === undefined || rootText === undefined || values.reason === undefined) {
        throw new UsageError('signing a tail needs --reviewed-size, --reviewed-root and --reason together: run tree-head sign-tail without them first to review the tail');
      }
      if (!/^[1-9]\d{0,14}$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) throw new UsageError(`--reviewed-size must be the size the review showed (a whole number of events, at least 1), not ${JSON.stringify(sizeText)}`);
      if (!/^[0-9a-fA-F]{64}$/.test(rootText)) throw new UsageError(`--reviewed-root must be the root the review showed (64 hexadecimal digits), not ${JSON.stringify(rootText)}`);
      const reason = REASON.safeParse(values.reason);
      if (!reason.success) throw new UsageError(`--reason ${reason.error.issues[0]!.message}`);
      reviewed = { size: Number(sizeText), root: rootText.toLowerCase(), reason: reason.data };
    }
    const text = await withStore(async (store) => {
      let review: TailReview;
      try {
        review = await reviewUnsignedTail(store);
      } catch (error) {
        if (error instanceof TailNotSignableError) {
          if (error.operatorInput) throw new UsageError(`${error.message}; nothing was signed`);
          throw new CheckFailed(`${error.message}; nothing was signed`);
        }
        throw error;
      }
      if (reviewed === null) return values.json ? JSON.stringify(reviewJson(review)) : describeReview(review);
      if (review.events.length === 0) throw new UsageError(`nothing to sign: the signed tree head of ${review.head.size} events covers the whole log; nothing was signed`);
      if (review.size !== reviewed.size) {
        throw new UsageError(`the log holds ${review.size} events now, not the ${reviewed.size} that were reviewed: events were appended since; review again (nothing was signed)`);
      }
      if (review.root !== reviewed.root) {
        throw new UsageError(`the log's ${review.size} events do not have the reviewed root ${reviewed.root} (now ${review.root}): events changed since the review; review again (nothing was signed)`);
      }
      if (!store.signReviewedTail) {
        throw new CheckFailed(
          `${store.description} signs each commit's tree head in the same transaction as its events, so no writer can stop between them: an unsigned tail there was written behind the ledger's back or without its key, and is not signed from here; examine it (grantledger verify, grantledger log); nothing was signed`,
        );
      }
      const by = cliActor(process.env.USER).actor;
      let head;
      try {
        head = await store.signReviewedTail({ fromSize: review.head.size, size: reviewed.size, root: reviewed.root, by, reason: reviewed.reason });
      } catch (error) {
        if (error instanceof TailSigningRefusedError) {
          if (error.kind === 'stale') throw new UsageError(`${error.message} (nothing was signed)`);
          throw new CheckFailed(`${error.message}; nothing was signed`);
        }
        throw error;
      }
      process.stderr.write(
        `grantledger: tree-head sign-tail: ${by} signed the tree head of ${head.size} events (root ${head.root}) over the ${head.size - review.head.size} reviewed unsigned event(s) ${review.head.size + 1} to ${head.size}: ${reviewed.reason}\n`,
      );
      if (values.json) return JSON.stringify(head);
      return [`signed: the tree head of ${head.size} events, root ${head.root}, time ${head.time}`, `reviewed events ${review.head.size + 1} to ${head.size}, by ${by}: ${reviewed.reason}`, 'writers go on at their next write'].join('\n');
    });
    process.stdout.write(`${text}\n`);
  },
};
