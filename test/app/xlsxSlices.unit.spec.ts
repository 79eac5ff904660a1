import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { columns, sumMoney, toTable, toXlsx, type ReportData } from '../../src/app/reportFormats.js';
import { atEveryStep } from '../support/pauses.js';

// Issue 12: a workbook of 30 000 rows held the event loop for up to 93 ms (and a report with
// eight totalled columns, like the unused grants, for 170–320 ms). The longest turn was the
// totals: every row's cells computed again for every totalled column, all rows in one
// synchronous pass after the body. Totals are now summed as the rows go by, each row's cells
// computed once, with a pause possible after every row. These pauses pause at every row.

type Row = { id: string; year: number; budget: string; result: string | null };
let calls = 0;
const counted = <T,>(value: (row: Row) => T) => (row: Row) => {
  calls += 1;
  return value(row);
};
const ROWS = 600;
const rows: Row[] = Array.from({ length: ROWS }, (_, index) => ({
  id: `r${index}`,
  year: 2020 + (index % 3),
  budget: `${index}.${String(index % 100).padStart(2, '0')}`,
  result: index % 4 === 0 ? null : `-${index}.05`,
}));
const cols = columns<Row>([
  { key: 'id', label: 'Rad', kind: 'text', value: counted((row) => row.id) },
  { key: 'year', label: 'År', kind: 'integer', value: counted((row) => row.year) },
  { key: 'budget', label: 'Budget', kind: 'money', value: counted((row) => row.budget), total: true },
  { key: 'result', label: 'Resultat', kind: 'money', value: counted((row) => row.result), total: true },
]);
const data = (totals: ReportData['sections'][number]['totals']): ReportData => ({
  name: 'test',
  title: 'Test',
  json: null,
  sections: [{ name: 'test', title: 'Test', columns: cols, rows, totals }],
});

const atEveryRow = (during?: () => void) => atEveryStep(during);

const load = async (buffer: Buffer) => {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength) as ArrayBuffer);
  return workbook.worksheets[0]!;
};

describe('workbooks rendered in slices (issue 12: no caller holds the event loop)', () => {
  it('computes each row’s cells once, for the body and the totals together, and pauses after every row', async () => {
    calls = 0;
    const pauses = atEveryRow();
    const sheet = await load(await toXlsx(data({ kind: 'all' }), pauses));
    expect(calls).toBe(ROWS * cols.length);
    expect(pauses.count).toBe(ROWS + 1);
    const total = sheet.getRow(3 + ROWS);
    expect(total.getCell(1).value).toBe('Summa');
    expect(total.getCell(3).value).toMatchObject({ formula: `SUM(C3:C${2 + ROWS})`, result: Number(sumMoney(rows.map((row) => row.budget))) });
    expect(total.getCell(4).value).toMatchObject({ result: Number(sumMoney(rows.map((row) => row.result))) });
  });

  it('sums per value of a column the same way, in the order of the values', async () => {
    calls = 0;
    const sheet = await load(await toXlsx(data({ kind: 'by', column: 'year' }), atEveryRow()));
    expect(calls).toBe(ROWS * cols.length);
    for (const [offset, year] of [2020, 2021, 2022].entries()) {
      const total = sheet.getRow(3 + ROWS + offset);
      const members = rows.filter((row) => row.year === year);
      expect(total.getCell(1).value).toBe(`Summa ${year}`);
      expect(total.getCell(3).value).toMatchObject({
        formula: `SUMIF(B3:B${2 + ROWS},${year},C3:C${2 + ROWS})`,
        result: Number(sumMoney(members.map((row) => row.budget))),
      });
    }
    // The table's totals come from the same running sums.
    calls = 0;
    expect(toTable(data({ kind: 'by', column: 'year' }))).toMatch(/^Summa 2020 /m);
    expect(calls).toBe(ROWS * cols.length);
  });

  it('lets other work run while it renders', async () => {
    let rendered = false;
    let ranDuring = 0;
    const pauses = atEveryRow(() => {
      if (!rendered) ranDuring += 1;
    });
    const render = toXlsx(data({ kind: 'all' }), pauses).then(() => {
      rendered = true;
    });
    const other = new Promise<boolean>((resolve) => setImmediate(() => resolve(rendered)));
    expect(await other).toBe(false);
    await render;
    expect(ranDuring).toBe(ROWS + 1);
  });
});
