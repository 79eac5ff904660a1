import type { RecordedEvent } from '../store/port.js';

/**
 * The record of imported verifications: one stream per organisation and fiscal year
 * (`sie-<orgnr digits>-<first day>`), one event per import listing the verifications it took.
 * A verification is identified by orgnr, fiscal year, series and number, and is imported once,
 * ever: a later file that overlaps takes only what this record does not hold. Numbers are kept as
 * ranges ("1-5000"), so a year's record stays small however many verifications it has.
 * The read model does not project these streams; only imports read them.
 */
export const SIE_IMPORT_EVENT = 'SieVerificationsImported';

export function importRecordStreamName(orgnr: string, fiscalYearStart: string): string {
  return `sie-${orgnr.replace(/[^0-9A-Za-z]/g, '')}-${fiscalYearStart.replaceAll('-', '')}`;
}

export function verificationKey(series: string, number: string): string {
  return `${series}\u0000${number}`;
}

/** A series' numbers: [from, to] runs of plain numbers, and any other number as it is written. */
type Numbers = Array<[number, number] | string>;

export interface VerificationsImportedData {
  readonly orgnr: string;
  readonly fiscalYear: { readonly start: string; readonly end: string };
  readonly series: ReadonlyArray<{ readonly series: string; readonly numbers: Numbers }>;
  readonly verifications: number;
  readonly spendingEntries: number;
  readonly outcomeEntries: number;
}

const PLAIN_NUMBER = /^(0|[1-9]\d{0,14})$/;

export function verificationsImportedData(
  record: { orgnr: string; start: string; end: string },
  keys: ReadonlyArray<{ series: string; number: string }>,
  counts: { spendingEntries: number; outcomeEntries: number },
): VerificationsImportedData {
  const bySeries = new Map<string, { plain: number[]; other: string[] }>();
  for (const { series, number } of keys) {
    let entry = bySeries.get(series);
    if (!entry) bySeries.set(series, (entry = { plain: [], other: [] }));
    if (PLAIN_NUMBER.test(number)) entry.plain.push(Number(number));
    else entry.other.push(number);
  }
  const series = [...bySeries.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, { plain, other }]) => {
      plain.sort((a, b) => a - b);
      const numbers: Numbers = [];
      for (const value of plain) {
        const last = numbers[numbers.length - 1];
        if (Array.isArray(last) && last[1] + 1 === value) last[1] = value;
        else numbers.push([value, value]);
      }
      return { series: name, numbers: [...numbers, ...other.sort()] };
    });
  return {
    orgnr: record.orgnr,
    fiscalYear: { start: record.start, end: record.end },
    series,
    verifications: keys.length,
    spendingEntries: counts.spendingEntries,
    outcomeEntries: counts.outcomeEntries,
  };
}

/** Every verification the record's events hold, as keys. */
export function takenKeysOf(events: readonly RecordedEvent[]): Set<string> {
  const taken = new Set<string>();
  for (const event of events) {
    if (event.type !== SIE_IMPORT_EVENT) throw new Error(`stream ${event.streamId} holds ${event.type}, not ${SIE_IMPORT_EVENT}`);
    for (const { series, numbers } of (event.data as VerificationsImportedData).series) {
      for (const entry of numbers) {
        if (typeof entry === 'string') taken.add(verificationKey(series, entry));
        else for (let value = entry[0]; value <= entry[1]; value += 1) taken.add(verificationKey(series, String(value)));
      }
    }
  }
  return taken;
}
