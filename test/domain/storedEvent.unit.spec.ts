import { describe, expect, it } from 'vitest';
import { decodeBudgetEvent, decodeGrantEvent, shareSnapshotGrantEvents, UndecodableEventError, type StoredEvent } from '../../src/domain/storedEvent.js';
import { foldGrantEvents, INITIAL_GRANT_FACTS } from '../../src/domain/grant/state.js';
import type { GrantEvent } from '../../src/domain/grant/events.js';

function stored(type: string, data: unknown, metadata: Partial<StoredEvent['metadata']> = {}): StoredEvent & { metadata: { hash: string } } {
  return {
    eventId: '0b5f6c57-6d5c-4a0e-9a59-9a1f0f3f3a10',
    streamId: 'grant-g1',
    type,
    revision: 3,
    position: 17,
    data,
    metadata: { recordedAt: '2024-03-01T08:00:00.000Z', hash: 'f'.repeat(64), ...metadata },
  };
}

const spent = { allocationId: 'a1', amount: '100.00', spentOn: '2024-02-01', voucher: 'V1' };

describe('decoding stored events', () => {
  it('gives the typed event with its place in the log, and nothing the store keeps for itself', () => {
    const decoded = decodeGrantEvent(stored('FundsSpent', spent));
    expect(decoded).toEqual({ eventId: '0b5f6c57-6d5c-4a0e-9a59-9a1f0f3f3a10', type: 'FundsSpent', revision: 3, position: 17, data: spent, metadata: { recordedAt: '2024-03-01T08:00:00.000Z' } });
    if (decoded.type !== 'FundsSpent') throw new Error('narrowing by type must hold');
    expect(decoded.data.voucher).toBe('V1');
  });

  it('refuses an event of another stream type', () => {
    expect(() => decodeBudgetEvent(stored('FundsSpent', spent))).toThrow(UndecodableEventError);
    expect(() => decodeGrantEvent(stored('OutcomeRecorded', {}))).toThrow(/is not an event of this stream/);
  });

  it('refuses data that does not fit the current shape, naming the field', () => {
    expect(() => decodeGrantEvent(stored('FundsSpent', { ...spent, amount: 100 }))).toThrow(/malformed amount/);
    expect(() => decodeGrantEvent(stored('FundsSpent', { ...spent, extra: 'x' }))).toThrow(/unknown field extra/);
    const { voucher: _voucher, ...withoutVoucher } = spent;
    expect(() => decodeGrantEvent(stored('FundsSpent', withoutVoucher))).toThrow(/lacks voucher/);
  });

  it('refuses a schema version it does not know (written by a newer ledger) rather than guess', () => {
    expect(() => decodeGrantEvent(stored('FundsSpent', spent, { schemaVersion: 99 }))).toThrow(/schema version 99/);
    expect(() => decodeGrantEvent(stored('FundsSpent', spent, { schemaVersion: 0 }))).toThrow(/schema version 0/);
  });
});

describe('the grant fold', () => {
  it('stops on a spending or a release of an allocation the history does not hold, rather than skip its money', () => {
    const received: GrantEvent = {
      type: 'GrantReceived',
      data: { grantId: 'g1', grantor: 'Skolverket', title: 'T', purpose: 'P', kind: 'riktat', committee: 'utbildning', amount: '1000.00', receivedOn: '2024-01-10', useBy: '2024-12-31', repaymentRequired: true },
    };
    expect(() => foldGrantEvents(INITIAL_GRANT_FACTS, [received, { type: 'FundsSpent', data: spent }])).toThrow(/invariant violated: FundsSpent on allocation a1/);
    expect(() => foldGrantEvents(INITIAL_GRANT_FACTS, [received, { type: 'AllocationReleased', data: { allocationId: 'a9', amount: '1.00', releasedOn: '2024-02-01' } }])).toThrow(/AllocationReleased on allocation a9/);
  });
});

describe('upcasting on decode', () => {
  const report = { submittedOn: '2024-05-01', reference: 'R-7' };

  it('turns a version-1 report (written before reports were final or interim) into a final report', () => {
    expect(decodeGrantEvent(stored('GrantReportSubmitted', report)).data).toEqual({ ...report, final: true });
    expect(decodeGrantEvent(stored('GrantReportSubmitted', report, { schemaVersion: 1 })).data).toEqual({ ...report, final: true });
  });

  it('leaves current data as it is, and the stored data untouched', () => {
    const interim = { ...report, final: false };
    const event = stored('GrantReportSubmitted', interim, { schemaVersion: 2 });
    expect(decodeGrantEvent(event).data).toBe(interim);
    const old = stored('GrantReportSubmitted', report);
    decodeGrantEvent(old);
    expect(old.data).toEqual(report);
  });

  it('refuses a version-2 report without final: only version 1 gets the default', () => {
    expect(() => decodeGrantEvent(stored('GrantReportSubmitted', report, { schemaVersion: 2 }))).toThrow(/lacks final/);
  });
});

describe('compact events', () => {
  it('gives the events of one command (one recordedAt) one metadata object, and every other event its own', () => {
    const first = decodeGrantEvent(stored('FundsSpent', { ...spent }));
    const second = decodeGrantEvent(stored('FundsSpent', { ...spent, voucher: 'V2' }));
    const later = decodeGrantEvent(stored('FundsSpent', { ...spent }, { recordedAt: '2024-03-02T08:00:00.000Z' }));
    expect(second.metadata).toBe(first.metadata);
    expect(later.metadata).not.toBe(first.metadata);
    expect(later.metadata).toEqual({ recordedAt: '2024-03-02T08:00:00.000Z' });
  });

  it('reads a snapshot\'s events back with every field as written', () => {
    const events = [decodeGrantEvent(stored('FundsSpent', { ...spent })), decodeGrantEvent(stored('FundsSpent', { ...spent, voucher: 'V2' }, { recordedAt: '2024-03-02T08:00:00.000Z' }))];
    const json = JSON.stringify(events);
    const read = shareSnapshotGrantEvents(JSON.parse(json) as typeof events);
    expect(read).toEqual(events);
    expect(JSON.stringify(read)).toBe(json);
  });
});
