import { describe, expect, it } from 'vitest';
import { columns, toCsv, toCsvInSlices, unusedGrantsData, type ReportData } from '../../src/app/reportFormats.js';
import { unusedGrantsReport } from '../../projections/unusedGrants.js';
import type { GrantView } from '../../projections/grantView.js';
import { atEveryStep } from '../support/pauses.js';

// Issue 12: a CSV of 30 000 rows was built in one piece (61–68 ms holding the event loop). It is
// now rendered a row at a time with a pause whenever the slice is used up; these pauses pause at
// every row and run a callback there, so the test is certain rather than timed.

const view = (index: number): GrantView => ({
  grantId: `g${index}`,
  grantor: index % 3 === 0 ? 'x;=2+5;' : 'Skolverket',
  title: index % 5 === 0 ? 'Sommar, "lov" och\nskola' : `Läxhjälp ${index}`,
  purpose: 'Läxhjälp',
  kind: 'riktat',
  committee: index % 7 === 0 ? '@SUM(A1)' : 'utbildning',
  receivedOn: '2021-01-10',
  useBy: index % 2 === 0 ? '2021-12-31' : '2022-06-30',
  reportDue: null,
  reference: null,
  repaymentRequired: index % 2 === 0,
  received: `${1000 + index}.00`,
  spent: '250.50',
  returned: '0.00',
  unused: `${749 + index}.50`,
  unallocated: index % 4 === 0 ? '-3.50' : '749.50',
  allocatedRemaining: '0.00',
  retained: '0.00',
  repaymentDemanded: '0.00',
  repaymentOutstanding: '0.00',
  toRepay: '0.00',
  status: 'open',
  closedOn: null,
  reports: [],
  allocations: [],
});

const single = unusedGrantsData(unusedGrantsReport(Array.from({ length: 500 }, (_, index) => view(index)), {}), { asOf: '2021-03-31', knownAt: null });

type Spent = { allocationId: string; amount: string };
const several: ReportData = {
  name: 'statement',
  title: 'Redovisning',
  json: {},
  sections: [
    { name: 'huvud', title: 'Bidraget', layout: 'record', columns: columns<{ id: string }>([{ key: 'id', label: 'Bidrag', kind: 'text', value: (row) => row.id }]), rows: [{ id: 'g1' }], totals: { kind: 'none' } },
    {
      name: 'forbrukning',
      title: 'Förbrukning',
      columns: columns<Spent>([
        { key: 'allocationId', label: 'Fördelning', kind: 'text', value: (row) => row.allocationId },
        { key: 'amount', label: 'Belopp', kind: 'money', value: (row) => row.amount, total: true },
      ]),
      rows: Array.from({ length: 40 }, (_, index) => ({ allocationId: `a${index}`, amount: `${index}.25` })),
      totals: { kind: 'all' },
    },
    { name: 'tom', title: 'Tom', columns: columns<Spent>([{ key: 'allocationId', label: 'Fördelning', kind: 'text', value: (row) => row.allocationId }]), rows: [], totals: { kind: 'none' } },
  ],
};

/** The CSV as it was built before issue 12, in one piece: the reference for the bytes. */
function unbrokenCsv(data: ReportData, dialect: 'excel' | 'rfc4180'): string {
  const quoted = (text: string) => `"${text.replace(/"/g, '""')}"`;
  const sectionLines = (section: ReportData['sections'][number]) => {
    const separator = dialect === 'excel' ? ';' : ',';
    const header = section.columns.map((column) => (dialect === 'excel' ? quoted(column.label) : column.key)).join(separator);
    // The body is what toCsv renders for the rows alone; the block layout is the old one.
    const body = toCsv({ ...data, sections: [{ ...section }] }, dialect).slice(1, -2).split('\r\n').slice(1).join('\r\n');
    return body === '' ? [header] : [header, body];
  };
  const blocks =
    data.sections.length === 1
      ? [sectionLines(data.sections[0]!)]
      : data.sections.map((section) => [dialect === 'excel' ? quoted(section.title) : section.name, ...sectionLines(section)]);
  return `\uFEFF${blocks.map((lines) => lines.join('\r\n')).join('\r\n\r\n')}\r\n`;
}

const atEveryRow = (during?: () => void) => atEveryStep(during);

describe('CSV rendered in slices (issue 12: no caller holds the event loop)', () => {
  it.each(['excel', 'rfc4180'] as const)('gives the same bytes as the unbroken render, pausing at every row (%s)', async (dialect) => {
    for (const data of [single, several]) {
      const pauses = atEveryRow();
      const sliced = await toCsvInSlices(data, dialect, pauses);
      expect(sliced).toBe(unbrokenCsv(data, dialect));
      expect(sliced).toBe(toCsv(data, dialect));
      expect(pauses.count).toBe(data.sections.reduce((sum, section) => sum + section.rows.length, 0));
    }
  });

  it('keeps the pinned shape: BOM, CRLF, an empty line between blocks, a header for an empty section', async () => {
    const csv = await toCsvInSlices(several, 'excel', atEveryRow());
    expect(csv.startsWith('\uFEFF"Bidraget"\r\n"Bidrag"\r\n"g1"\r\n\r\n"Förbrukning"\r\n"Fördelning";"Belopp"\r\n"a0";0,25\r\n')).toBe(true);
    expect(csv.endsWith('"a39";39,25\r\n\r\n"Tom"\r\n"Fördelning"\r\n')).toBe(true);
    const empty = await toCsvInSlices({ ...several, sections: [] }, 'excel', atEveryRow());
    expect(empty).toBe(toCsv({ ...several, sections: [] }));
  });

  it('lets other work run while it renders', async () => {
    const seen: number[] = [];
    let rendered = false;
    const pauses = atEveryRow(() => {
      if (!rendered) seen.push(pauses.count);
    });
    const render = toCsvInSlices(single, 'excel', pauses).then((csv) => {
      rendered = true;
      return csv;
    });
    // Another caller's timer fires in the middle of the render, not after it.
    const other = new Promise<boolean>((resolve) => setImmediate(() => resolve(rendered)));
    expect(await other).toBe(false);
    await render;
    expect(seen.length).toBe(500);
  });
});
