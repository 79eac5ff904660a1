import { DomainError, refuse } from './errors.js';

/** One event of a stream as the decider sees it: its id (for reversals) and the event. */
export interface Entry<E> {
  readonly eventId: string;
  readonly event: E;
}

/**
 * A stream's history as an immutable list, newest first, so evolve can add an entry in O(1)
 * without copying: the decider needs the whole history only to judge a reversal.
 */
export interface History<E> {
  readonly entry: Entry<E>;
  readonly previous: History<E> | null;
}

export function appendEntry<E>(history: History<E> | null, entry: Entry<E>): History<E> {
  return { entry, previous: history };
}

export function entriesOf<E>(history: History<E> | null): Entry<E>[] {
  const entries: Entry<E>[] = [];
  for (let node = history; node !== null; node = node.previous) entries.push(node.entry);
  return entries.reverse();
}

/** A reversal (EntryReversed), which grant and budget streams alike may hold. */
export interface Reversal {
  readonly type: 'EntryReversed';
  readonly data: { readonly reversedEventId: string };
}

export function isReversal(event: { type: string }): event is Reversal {
  return event.type === 'EntryReversed';
}

/** The events still in force: every reversal and every reversed event left out, order kept. */
export function effectiveEvents<E extends { type: string }>(entries: readonly Entry<E>[], reversed: ReadonlySet<string>): E[] {
  return entries.filter((entry) => !isReversal(entry.event) && !reversed.has(entry.eventId)).map((entry) => entry.event);
}

export interface ReversalPolicy<E extends { type: string }> {
  /** Event types that can never be reversed, with the rule that says so. */
  readonly irreversible: Partial<Record<string, Parameters<typeof refuse>[0]>>;
  /** Replays the remaining events with every rule checked; throws the first DomainError. */
  readonly revalidate: (events: readonly E[]) => void;
}

/**
 * Judges an EntryReversed: the target is in this stream, not reversed yet, reversible, and the
 * stream's rules still hold when it is taken out.
 */
export function checkReversal<E extends { type: string }>(
  entries: readonly Entry<E>[],
  reversed: ReadonlySet<string>,
  targetEventId: string,
  policy: ReversalPolicy<E>,
): void {
  const target = entries.find((entry) => entry.eventId === targetEventId);
  if (!target) refuse('REVERSAL_TARGET_NOT_FOUND', `event ${targetEventId} is not in this stream`, 'eventId');
  if (reversed.has(targetEventId)) refuse('ENTRY_ALREADY_REVERSED', `event ${targetEventId} is already reversed`, 'eventId');
  if (isReversal(target.event)) {
    refuse('REVERSAL_CANNOT_BE_REVERSED', 'a reversal cannot be reversed; record the original entry again', 'eventId');
  }
  const irreversibleRule = policy.irreversible[target.event.type];
  if (irreversibleRule) refuse(irreversibleRule, `${target.event.type} cannot be reversed`, 'eventId');
  const withoutTarget = new Set(reversed).add(targetEventId);
  try {
    policy.revalidate(effectiveEvents(entries, withoutTarget));
  } catch (error) {
    if (error instanceof DomainError) {
      refuse(
        'REVERSAL_WOULD_BREAK_RULE',
        `reversing ${target.event.type} ${targetEventId} would break ${error.rule}: ${error.message}`,
        'eventId',
      );
    }
    throw error;
  }
}
