import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, eventHash, GENESIS_HASH, type HashedFields } from '../../src/store/hashChain.js';

/**
 * Stored hashes must never change: eventHash and canonicalJson were rewritten for speed (a string
 * built field by field, one-shot SHA-256), and must give what the original code gave, copied here.
 */
function referenceCanonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isSafeInteger(value)) throw new Error(`cannot hash the number ${value}`);
    if (value === undefined) throw new Error('cannot hash undefined');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(referenceCanonicalJson).join(',')}]`;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record)
    .filter((key) => record[key] !== undefined)
    .sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${referenceCanonicalJson(record[key])}`).join(',')}}`;
}

function referenceEventHash(prevHash: string, fields: HashedFields): string {
  return createHash('sha256')
    .update(prevHash)
    .update(
      referenceCanonicalJson({
        streamId: fields.streamId,
        revision: fields.revision,
        eventId: fields.eventId,
        type: fields.type,
        recordedAt: fields.recordedAt,
        actor: fields.actor,
        commandId: fields.commandId,
        correlationId: fields.correlationId,
        data: fields.data,
        ...(fields.tokenId === undefined ? {} : { tokenId: fields.tokenId, requestHash: fields.requestHash ?? null }),
        ...(fields.schemaVersion === undefined ? {} : { schemaVersion: fields.schemaVersion }),
      }),
    )
    .digest('hex');
}

const datas: unknown[] = [
  { grantId: 'g-1', amount: '100.00', nested: { ö: 'Å', a: [1, 'två', { z: true, b: null }] }, skipped: undefined },
  { voucher: 'V"1\\\n', emoji: '😀', '\u2028': 'line separator' },
  [],
  {},
  'plain',
  null,
  // Shapes the one-call serialisation leaves to the general way, with the same result.
  { 10: 'ten', 9: 'nine', a: { '2': [1, { b: 2, a: 1 }] } },
  JSON.parse('{"__proto__": {"x": 1}, "y": [true, false, null]}'),
  { when: new Date('2026-11-30T00:00:00Z'), text: 'a Date is an object without keys' },
  // eslint-disable-next-line no-sparse-arrays
  { sparse: [1, , 3] },
  { nested: [[['deep']], { '': 'empty key', é: 'é', e: 'e' }] },
];

describe('the event hash', () => {
  it('is the hash the original canonical JSON gave, with and without tokenId, requestHash and schemaVersion', () => {
    let prevHash = GENESIS_HASH;
    for (const [index, data] of datas.entries()) {
      const base = {
        streamId: `grant-g${index}`, revision: index, eventId: `e-${index}`, type: 'FundsSpent', recordedAt: '2026-11-30T00:00:00.000Z',
        actor: 'Anna Åberg', commandId: `c-${index}`, correlationId: `k-${index}`, data,
      };
      const variants: HashedFields[] = [
        base,
        { ...base, tokenId: 'tok-1' },
        { ...base, tokenId: 'tok-1', requestHash: 'ab'.repeat(32) },
        { ...base, tokenId: 'tok-1', requestHash: 'ab'.repeat(32), schemaVersion: 2 },
        { ...base, requestHash: 'ignored without a tokenId', schemaVersion: 1 },
        { ...base, tokenId: undefined, requestHash: undefined, schemaVersion: undefined },
      ];
      for (const fields of variants) {
        const expected = referenceEventHash(prevHash, fields);
        expect(eventHash(prevHash, fields)).toBe(expected);
        prevHash = expected;
      }
      expect(canonicalJson(data)).toBe(referenceCanonicalJson(data));
    }
  });

  it('writes the canonical JSON the original code wrote, for any data of strings, integers, booleans and nesting', () => {
    const data = fc.letrec((tie) => ({
      leaf: fc.oneof(fc.string({ unit: 'grapheme' }), fc.integer(), fc.boolean(), fc.constant(null)),
      node: fc.oneof({ depthSize: 'small' }, tie('leaf'), fc.array(tie('node'), { maxLength: 4 }), fc.dictionary(fc.oneof(fc.string(), fc.constantFrom('0', '1', '10', '__proto__', 'constructor', 'a', 'A', 'ä')), tie('node'), { maxKeys: 5 })),
    })).node;
    fc.assert(fc.property(data, (value) => canonicalJson(value) === referenceCanonicalJson(value)), { numRuns: 500 });
  });

  it('refuses what it refused before', () => {
    expect(() => canonicalJson({ a: 1.5 })).toThrow(/cannot hash the number/);
    expect(() => canonicalJson([undefined])).toThrow(/cannot hash undefined/);
    expect(() => canonicalJson(undefined)).toThrow(/cannot hash undefined/);
    expect(() => canonicalJson({ a: [1, { b: Number.MAX_SAFE_INTEGER + 1 }] })).toThrow(/cannot hash the number/);
    expect(() => canonicalJson({ a: 1n })).toThrow(TypeError);
    expect(canonicalJson({ a: undefined, b: { c: undefined } })).toBe('{"b":{}}');
    const fields = { streamId: 's', revision: 0.5, eventId: 'e', type: 't', recordedAt: 'r', actor: 'a', commandId: 'c', correlationId: 'k', data: {} };
    expect(() => eventHash(GENESIS_HASH, fields)).toThrow(/cannot hash the number/);
  });
});
