import { describe, expect, it } from 'vitest';
import { dateOfMoment, endOfSwedishDay, startOfSwedishDay } from '../../src/domain/dates.js';

describe('Swedish days (Europe/Stockholm)', () => {
  it('a moment belongs to the Swedish date, in winter (UTC+1) and summer (UTC+2)', () => {
    expect(dateOfMoment(new Date('2021-03-09T22:59:59.999Z'))).toBe('2021-03-09');
    expect(dateOfMoment(new Date('2021-03-09T23:00:00.000Z'))).toBe('2021-03-10');
    expect(dateOfMoment(new Date('2021-06-30T21:59:59.999Z'))).toBe('2021-06-30');
    expect(dateOfMoment(new Date('2021-06-30T22:00:00.000Z'))).toBe('2021-07-01');
    expect(dateOfMoment(new Date('2020-12-31T23:30:00.000Z'))).toBe('2021-01-01');
  });

  it('days begin and end at Swedish midnight, also on the days the clocks change', () => {
    expect(startOfSwedishDay('2021-03-10')).toBe('2021-03-09T23:00:00.000Z');
    expect(endOfSwedishDay('2021-03-09')).toBe('2021-03-09T22:59:59.999Z');
    // 28 March 2021: clocks go forward at 02:00, so the day is 23 hours long.
    expect(startOfSwedishDay('2021-03-28')).toBe('2021-03-27T23:00:00.000Z');
    expect(endOfSwedishDay('2021-03-28')).toBe('2021-03-28T21:59:59.999Z');
    // 31 October 2021: clocks go back at 03:00, so the day is 25 hours long.
    expect(startOfSwedishDay('2021-10-31')).toBe('2021-10-30T22:00:00.000Z');
    expect(endOfSwedishDay('2021-10-31')).toBe('2021-10-31T22:59:59.999Z');
    expect(endOfSwedishDay('2020-12-31')).toBe('2020-12-31T22:59:59.999Z');
  });
});
