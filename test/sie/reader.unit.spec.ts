import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { encodePc8, readSieFully, SieReader } from '../../src/sie/reader.js';
import { tokenizeLine } from '../../src/sie/lineTokens.js';

const FIXTURE = new URL('./fixtures/kommun-2021-1.se', import.meta.url);

/** A file from lines, in PC8 with CRLF, cut into small chunks so lines and characters straddle them. */
function sie(lines: string[], chunkSize = 7): Buffer[] {
  const bytes = encodePc8(`${lines.join('\r\n')}\r\n`);
  const chunks: Buffer[] = [];
  for (let start = 0; start < bytes.length; start += chunkSize) chunks.push(bytes.subarray(start, start + chunkSize));
  return chunks;
}

const HEAD = ['#FLAGGA 0', '#FORMAT PC8', '#SIETYP 4', '#ORGNR 212000-1355', '#RAR 0 20210101 20211231'];

async function problemsOf(lines: string[]) {
  return (await readSieFully(sie([...HEAD, ...lines]))).problems;
}

describe('the SIE line tokenizer', () => {
  it('splits labels, bare and quoted fields with \\" escapes, and object lists', () => {
    expect(tokenizeLine('#TRANS 5010 {1 "5100" 20 "4 10"} -12.50 20210131 "Faktura \\"Ö\\" AB"')).toEqual({
      kind: 'label',
      label: '#TRANS',
      fields: [
        { kind: 'text', text: '5010', quoted: false },
        { kind: 'list', items: ['1', '5100', '20', '4 10'] },
        { kind: 'text', text: '-12.50', quoted: false },
        { kind: 'text', text: '20210131', quoted: false },
        { kind: 'text', text: 'Faktura "Ö" AB', quoted: true },
      ],
    });
    expect(tokenizeLine('  {  ')).toEqual({ kind: 'open' });
    expect(tokenizeLine('}')).toEqual({ kind: 'close' });
    expect(tokenizeLine('\t ')).toEqual({ kind: 'blank' });
    expect(tokenizeLine('#TRANS 1930 {} 5')).toMatchObject({ fields: [{ text: '1930' }, { kind: 'list', items: [] }, { text: '5' }] });
  });
});

describe('the SIE reader on a municipal export (PC8, CRLF, several dimensions)', () => {
  it('decodes PC8: the raw bytes hold code page 437 letters, the text holds å ä ö Å Ä Ö', async () => {
    const bytes = readFileSync(FIXTURE);
    expect(bytes.includes(Buffer.from([0x94]))).toBe(true); // ö in code page 437
    expect(bytes.includes(Buffer.from([0x8e]))).toBe(true); // Ä
    expect(bytes.includes(Buffer.from('\r\n'))).toBe(true);
    expect(bytes.includes(Buffer.from('ö', 'utf8'))).toBe(false);
    const file = await readSieFully([bytes]);
    expect(file.problems).toEqual([]);
    expect(file.header.companyName).toBe('Sjöbo kommun');
    expect(file.header.accounts.get('7010')?.name).toBe('Köpta tjänster, ÅÄÖ-konsult');
    expect(file.header.objects.get('1/5200')).toBe('Äldreomsorg');
    expect(file.header.dimensions.get('21')).toEqual({ name: 'Delverksamhet', parent: '20' });
    expect(file.header.fiscalYears).toEqual([
      { index: 0, start: '2021-01-01', end: '2021-12-31' },
      { index: -1, start: '2020-01-01', end: '2020-12-31' },
    ]);
    expect(file.header.balances.map((b) => `${b.label} ${b.yearIndex} ${b.account} ${b.amount.toFixed(2)}`)).toEqual([
      'IB 0 1930 12500000.00',
      'UB 0 1930 19655000.00',
      'IB -1 1930 9800000.00',
      'RES 0 3010 -25000.50',
    ]);
    expect(file.verificationsRead).toBe(7);
    const second = file.verifications[1]!;
    expect(second.text).toBe('Faktura "Lärarvikarie" Ö-bolaget AB');
    expect(second.transactions[0]).toMatchObject({ account: '7010', objects: [{ dimension: '1', object: '5100' }, { dimension: '20', object: '410' }, { dimension: '6', object: 'TVV-SEG-2021' }] });
    expect(second.transactions[0]!.amount.toFixed(2)).toBe('80000.00');
  });

  it('counts an #RTRANS once (not its #TRANS copy) and leaves a #BTRANS out', async () => {
    const file = await readSieFully([readFileSync(FIXTURE)]);
    const correction = file.verifications.find((v) => v.series === 'A' && v.number === '3')!;
    expect(correction.transactions.map((t) => `${t.account} ${t.amount.toFixed(2)} line ${t.line}`)).toEqual(['4010 1000.25 line 62', '2440 -1000.25 line 65']);
    expect(correction.removed.map((t) => t.amount.toFixed(2))).toEqual(['999.00']);
  });

  it('keeps and reports labels it does not know, and reads past known ones it does not need', async () => {
    const file = await readSieFully([readFileSync(FIXTURE)]);
    expect(file.unknownLabels).toEqual([{ label: '#XKOMMUN', count: 1, firstLine: 39 }]);
  });

  it('reads LF files and blank lines alike, and a #TRANS without transdat takes none', async () => {
    const text = [...HEAD, '', '#VER "" 17 20210301 ""', '{', '#TRANS 4010 {} 10.5', '', '#TRANS 1930 {} -10.5', '}'].join('\n');
    const file = await readSieFully([encodePc8(text)]);
    expect(file.problems).toEqual([]);
    expect(file.verifications[0]).toMatchObject({ series: '', number: '17', date: '2021-03-01', text: null });
    expect(file.verifications[0]!.transactions.map((t) => [t.date, t.amount.toFixed(2)])).toEqual([
      [null, '10.50'],
      [null, '-10.50'],
    ]);
  });

  it('reads a file in chunks that split lines and letters the same as in one piece', async () => {
    const whole = await readSieFully([readFileSync(FIXTURE)]);
    const bytes = readFileSync(FIXTURE);
    const pieces: Buffer[] = [];
    for (let start = 0; start < bytes.length; start += 3) pieces.push(bytes.subarray(start, start + 3));
    const chunked = await readSieFully(pieces);
    expect(JSON.stringify(chunked.verifications)).toBe(JSON.stringify(whole.verifications));
  });
});

describe('the SIE reader refuses, with line and reason', () => {
  const ver = (transactions: string[]) => ['#VER A 1 20210115 "Test"', '{', ...transactions, '}'];

  it('an unbalanced verification', async () => {
    expect(await problemsOf(ver(['#TRANS 4010 {} 100.00', '#TRANS 1930 {} -99.99']))).toEqual([
      { line: 6, reason: 'the verification A 1 does not balance: its transactions sum to 0.01, not 0.00' },
    ]);
  });

  it.each([
    ['1 234,50', 'malformed amount "1 234,50"'],
    ['12.345', 'malformed amount "12.345"'],
    ['1e5', 'malformed amount "1e5"'],
    ['--5', 'malformed amount "--5"'],
  ])('a malformed amount %s', async (amount, reason) => {
    const line = amount.includes(' ') ? `#TRANS 4010 {} "${amount}"` : `#TRANS 4010 {} ${amount}`;
    const problems = await problemsOf(ver([line, '#TRANS 1930 {} -5']));
    expect(problems).toHaveLength(1);
    expect(problems[0]!.line).toBe(8);
    expect(problems[0]!.reason).toContain(reason);
  });

  it.each([
    ['20210231', 'malformed date "20210231"'],
    ['2021-01-05', 'malformed date "2021-01-05"'],
  ])('a malformed date %s, on a #VER or a #TRANS', async (date, reason) => {
    expect((await problemsOf([`#VER A 1 ${date} "x"`, '{', '#TRANS 4010 {} 5', '#TRANS 1930 {} -5', '}']))[0]).toMatchObject({ line: 6, reason: expect.stringContaining(reason) });
    expect((await problemsOf(ver([`#TRANS 4010 {} 5 ${date}`, '#TRANS 1930 {} -5'])))[0]).toMatchObject({ line: 8, reason: expect.stringContaining(reason) });
  });

  it('a #TRANS outside a verification', async () => {
    expect(await problemsOf(['#TRANS 4010 {} 5.00'])).toEqual([
      { line: 6, reason: '#TRANS outside a verification: it must stand between the { and } after a #VER' },
    ]);
  });

  it('a verification left open at the end of the file, and a } with none open', async () => {
    expect(await problemsOf(['#VER A 1 20210115 "x"', '{', '#TRANS 4010 {} 5', '#TRANS 1930 {} -5'])).toEqual([
      { line: 6, reason: 'the verification A 1 is not closed with } before the end of the file' },
    ]);
    expect(await problemsOf(['}'])).toEqual([{ line: 6, reason: '} without an open verification block' }]);
  });

  it('a #VER without its block, or without a number', async () => {
    expect(await problemsOf(['#VER A 1 20210115 "x"', '#TRANS 4010 {} 5'])).toEqual([
      { line: 6, reason: 'the verification A 1 has no block: { must follow its #VER' },
      { line: 7, reason: '#TRANS outside a verification: it must stand between the { and } after a #VER' },
    ]);
    expect(await problemsOf(['#VER A "" 20210115 "x"', '{', '#TRANS 4010 {} 5', '#TRANS 1930 {} -5', '}'])).toEqual([
      { line: 6, reason: 'the #VER has no number: each verification is identified by its series and number' },
    ]);
  });

  it('a #VER inside another verification', async () => {
    expect(await problemsOf(['#VER A 1 20210115 "x"', '{', '#VER A 2 20210115 "y"', '}'])).toEqual([
      { line: 8, reason: '#VER inside the verification A 1: close it with } first' },
    ]);
  });

  it('broken fields: an unclosed quote, an unclosed object list, a missing object list, a bad account', async () => {
    const problems = await problemsOf(
      ver(['#TRANS 4010 {} 5 20210101 "open', '#TRANS 4010 {1 "5100" 5', '#TRANS 4010 5', '#TRANS 40A0 {} 5', '#TRANS 1930 {1} -5']),
    );
    expect(problems.map((p) => `${p.line}: ${p.reason}`)).toEqual([
      '8: a quoted field is not closed with "',
      '9: an object list is not closed with }',
      '10: expected an object list {…} after the account (write {} when there is none)',
      '11: the account "40A0" is not a number',
      '12: an object list holds pairs of dimension and object',
    ]);
  });

  it('a #FORMAT other than PC8, and a line that is no label', async () => {
    expect(await readSieFully(sie(['#FLAGGA 0', '#FORMAT UTF8', 'hej']))).toMatchObject({
      problems: [
        { line: 2, reason: '#FORMAT UTF8 is not SIE 4: the only format is PC8 (IBM code page 437)' },
        { line: 3, reason: 'a line must start with a label such as #TRANS, or be { or }' },
      ],
    });
  });

  it('yields verifications one at a time, so a caller can stop or stream', async () => {
    const lines = [...HEAD];
    for (let number = 1; number <= 50; number += 1) lines.push(...ver(['#TRANS 4010 {} 1', '#TRANS 1930 {} -1']).map((line) => line.replace('A 1', `A ${number}`)));
    const reader = new SieReader(sie(lines, 64));
    let seen = 0;
    for await (const verification of reader.verifications()) {
      seen += 1;
      expect(verification.number).toBe(String(seen));
    }
    expect(reader.result().verificationsRead).toBe(50);
  });
});
