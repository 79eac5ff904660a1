import { describe, expect, it } from 'vitest';
import { parseSwedishAmount, statusWord, swedishKronor, swedishMoney, yesNo } from '../../src/app/swedish.js';

describe('Swedish words and numbers', () => {
  it('groups kronor with spaces and writes öre after a comma', () => {
    expect(swedishMoney('8000000.00')).toBe('8 000 000,00');
    expect(swedishMoney('-1234567.89')).toBe('-1 234 567,89');
    expect(swedishMoney('0.50')).toBe('0,50');
    expect(swedishKronor('1234567.89')).toBe('1 234 567,89 kr');
  });

  it('reads amounts typed the Swedish way, or says they are none', () => {
    expect(parseSwedishAmount('8 000 000,00')).toBe('8000000.00');
    expect(parseSwedishAmount('8000000')).toBe('8000000.00');
    expect(parseSwedishAmount('8\u00a0000\u00a0000,5')).toBe('8000000.50');
    expect(parseSwedishAmount(' 1 500 kr ')).toBe('1500.00');
    expect(parseSwedishAmount('-450 000')).toBe('-450000.00');
    expect(parseSwedishAmount('8000000.25')).toBe('8000000.25');
    expect(parseSwedishAmount('007')).toBe('7.00');
    for (const bad of ['', 'åtta', '1,234', '1.2.3', '1,2,3', '12e3', '--5']) expect(parseSwedishAmount(bad), bad).toBeNull();
  });

  it('says statuses and booleans in Swedish, and leaves an unknown code as it is', () => {
    expect(['open', 'expired', 'settled', 'closed', 'at-risk'].map(statusWord)).toEqual(['öppen', 'förfallen', 'avräknad', 'stängd', 'i riskzonen']);
    expect(statusWord('weird')).toBe('weird');
    expect([yesNo(true), yesNo(false)]).toEqual(['ja', 'nej']);
  });
});
