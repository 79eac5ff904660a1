import {
  ErrorType,
  WrongExpectedVersionError as ClientWrongExpectedVersionError,
  convertToCommandError,
  isCommandError,
  type CommandError,
} from '@eventstore/db-client';
import { StoreUnavailableError, WrongExpectedVersionError, type ExpectedRevision } from '../port.js';
import { toSafeInteger } from './ledgerEvents.js';

/** Failures after which a subscription is opened again: the connection, not the request, failed. */
export const TRANSIENT_SUBSCRIPTION_ERRORS = new Set<string>([
  ErrorType.UNAVAILABLE,
  ErrorType.CANCELLED,
  ErrorType.DEADLINE_EXCEEDED,
  ErrorType.TIMEOUT,
  ErrorType.NOT_LEADER,
]);

/** Failures that mean the store cannot be used now: the port's StoreUnavailableError. */
const UNAVAILABLE_ERRORS = new Set<string>([...TRANSIENT_SUBSCRIPTION_ERRORS, ErrorType.ACCESS_DENIED]);

/**
 * The client's error for a failure, or undefined for one that is not the client's. Some paths
 * (fetching server features, opening a channel) reject with gRPC's raw service error; the
 * client's own converter turns those into its error classes.
 */
export function asClientError(error: unknown): CommandError | undefined {
  if (!(error instanceof Error)) return undefined;
  const converted = convertToCommandError(error);
  return converted instanceof Error && isCommandError(converted) ? converted : undefined;
}

/** Cluster discovery gives up with a plain Error; the client has no class for it. */
export function isDiscoveryFailure(error: unknown): boolean {
  return error instanceof Error && /^Failed to discover after \d+ attempts/.test(error.message);
}


/** Failures after which a call is worth repeating: the client has replaced its channel by then. */
export function isReconnectable(error: unknown): boolean {
  const type = asClientError(error)?.type;
  return type === ErrorType.UNAVAILABLE || type === ErrorType.NOT_LEADER;
}

/** Whether a subscription should be opened again after this failure. */
export function isTransientForSubscription(error: unknown): boolean {
  const clientError = asClientError(error);
  return (clientError !== undefined && TRANSIENT_SUBSCRIPTION_ERRORS.has(clientError.type)) || isDiscoveryFailure(error);
}

/**
 * Turns the client's failures into the port's errors at the boundary: a refused expectation
 * (with the actual revision, when the append's stream and expectation are known) and an
 * unusable store; anything else is passed on unchanged.
 */
export function translateClientError(error: unknown, storeDescription: string, append?: { streamId: string; expected: ExpectedRevision }): unknown {
  if (error instanceof ClientWrongExpectedVersionError && append) {
    const actual = error.actualVersion;
    return new WrongExpectedVersionError(append.streamId, append.expected, typeof actual === 'bigint' ? toSafeInteger(actual, 'actual revision') : 'no_stream');
  }
  const clientError = asClientError(error);
  if (clientError && UNAVAILABLE_ERRORS.has(clientError.type)) {
    return new StoreUnavailableError(`${storeDescription}: ${clientError.type}: ${clientError.message}`, { cause: error });
  }
  if (isDiscoveryFailure(error)) return new StoreUnavailableError(`${storeDescription}: ${(error as Error).message}`, { cause: error });
  return error;
}
