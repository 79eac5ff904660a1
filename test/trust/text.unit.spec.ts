import { describe, expect, it } from 'vitest';
import { Text, textKey } from '../../src/domain/schema.js';
import { compileShapes, shapeProblem } from '../../src/domain/eventShape.js';
import { GrantEvent } from '../../src/domain/grant/events.js';

describe('free text', () => {
  const text = Text(100);

  it('is stored NFC-normalised: a decomposed "ä" becomes the one character', () => {
    const parsed = text.parse('Tillva\u0308xtverket');
    expect(parsed).toBe('Tillväxtverket');
    expect(parsed.length).toBe(14);
  });

  it.each([
    ['a control character', 'Till\u0007växtverket', /control characters/],
    ['a C1 control character', 'Till\u0085växtverket', /control characters/],
    ['a right-to-left override', 'Tillväxt\u202etekrev', /bidi controls or zero-width/],
    ['a bidi isolate', '\u2067Tillväxtverket\u2069', /bidi controls or zero-width/],
    ['a zero-width space', 'Tillväxt\u200bverket', /bidi controls or zero-width/],
    ['a zero-width joiner', 'Tillväxt\u200dverket', /bidi controls or zero-width/],
    ['a byte-order mark', '\ufeffTillväxtverket', /bidi controls or zero-width/],
    ['a lone surrogate', 'Tillväxtverket\ud800', /lone surrogates/],
  ])('refuses %s', (_what, value, message) => {
    const result = text.safeParse(value);
    expect(result.success).toBe(false);
    expect(result.error!.issues[0]!.message).toMatch(message);
  });

  it('keeps what people write: Swedish letters, emoji, punctuation', () => {
    expect(text.parse('Socialstyrelsen – Ökad tillgänglighet 😀 (dnr 1.2-345/2026)')).toBe('Socialstyrelsen – Ökad tillgänglighet 😀 (dnr 1.2-345/2026)');
  });

  it('stays a plain string for the stored-event shape checks', () => {
    const shapes = compileShapes(GrantEvent);
    expect(shapeProblem(shapes, 'FundsSpent', { allocationId: 'a', amount: '1.00', spentOn: '2026-01-01', voucher: 'V-1' })).toBeNull();
  });

  it('compares grantors as normalised text in filters', () => {
    expect(textKey('Tillva\u0308xtverket')).toBe(textKey('Tillväxtverket'));
    expect(textKey(' tillväxtverket ')).toBe(textKey('Tillväxtverket'));
    expect(textKey('Tillvaxtverket')).not.toBe(textKey('Tillväxtverket'));
  });
});
