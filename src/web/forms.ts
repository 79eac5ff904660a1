import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Ledger } from '../app/ledger.js';
import type { CommandContext } from '../app/commandHandler.js';
import { entityIdFor } from '../app/ids.js';
import { parseSwedishAmount } from '../app/swedish.js';
import { canonicalJson } from '../store/hashChain.js';
import { isIsoDate, isPeriod } from '../domain/dates.js';
import {
  AllocationReleasedData,
  FundsAllocatedData,
  FundsReturnedData,
  FundsSpentData,
  GrantInstallmentReceivedData,
  GrantAmendedData,
  GrantReceivedData,
  GrantReportSubmittedData,
} from '../domain/grant/events.js';
import { CloseGrantData, DemandRepaymentData, refineGrantDates, ReverseEntryData, type GrantCommand } from '../domain/grant/commands.js';
import { AppropriationAdjustedData, ForecastRecordedData, OutcomeRecordedData, type BudgetKey } from '../domain/budget/events.js';
import { CloseFiscalYearData, GrantAppropriationData, ReverseBudgetEntryData, type BudgetCommand } from '../domain/budget/commands.js';
import { CommitteeSlug, EntityId, FiscalYear } from '../domain/schema.js';

/**
 * The forms of the Registrera pages: one per command of the grant and budget streams. Each form
 * reads what was typed the Swedish way, validates it with the same zod schemas as the HTTP API,
 * and runs the command through the same Ledger methods, so a form and an API call can never
 * disagree about what is allowed.
 */
export type FieldKind = 'text' | 'password' | 'yesno' | 'textarea' | 'amount' | 'date' | 'period' | 'year' | 'checkbox' | 'select';

export interface FieldSpec {
  readonly name: string;
  readonly label: string;
  readonly kind: FieldKind;
  readonly optional?: boolean;
  readonly hint?: string;
  readonly options?: ReadonlyArray<readonly [value: string, label: string]>;
  /** Filled from the query string, e.g. ?grantId= when coming from a grant's page. */
  readonly fromQuery?: boolean;
}

export interface FormOutcome {
  readonly redirect: string;
  readonly message: string;
}

export interface FormSpec {
  readonly slug: string;
  /** The heading and the form's accessible name. */
  readonly title: string;
  readonly group: 'grant' | 'budget';
  readonly intro: string;
  readonly fields: readonly FieldSpec[];
  readonly button: string;
  /** Validates the parsed values (the API's schema) and runs the command. */
  readonly schema: z.ZodType<Record<string, unknown>>;
  readonly execute: (ledger: Ledger, data: Record<string, unknown>, context: CommandContext) => Promise<FormOutcome>;
}

const DATE_HINT = 'ÅÅÅÅ-MM-DD';
const AMOUNT_HINT = 'I kronor, t.ex. 8 000 000,00';
const SIGNED_HINT = 'I kronor; minus för en minskning, t.ex. -250 000';

const grantIdField: FieldSpec = { name: 'grantId', label: 'Statsbidrag', kind: 'text', hint: 'Bidragets id, som det står på dess sida', fromQuery: true };
const committeeField: FieldSpec = { name: 'committee', label: 'Nämnd', kind: 'text', hint: 'T.ex. socialnamnden', fromQuery: true };
const yearField: FieldSpec = { name: 'fiscalYear', label: 'År', kind: 'year', hint: 'Räkenskapsåret, t.ex. 2020', fromQuery: true };
const amountField: FieldSpec = { name: 'amount', label: 'Belopp', kind: 'amount', hint: AMOUNT_HINT };
const date = (name: string, label: string, optional = false): FieldSpec => ({ name, label, kind: 'date', hint: DATE_HINT, optional });

const WithGrantId = z.object({ grantId: EntityId });
const WithBudget = z.object({ committee: CommitteeSlug, fiscalYear: FiscalYear });

function grantPage(grantId: string): string {
  return `/statsbidrag/${encodeURIComponent(grantId)}`;
}

/** A grant command on an existing grant: grantId picks the stream, the rest is the event's data. */
function grantForm(
  spec: Omit<FormSpec, 'schema' | 'execute' | 'group' | 'button'> & { button?: string },
  data: z.ZodType<Record<string, unknown>>,
  toCommand: (data: Record<string, unknown>) => GrantCommand,
  message: string,
): FormSpec {
  return {
    ...spec,
    button: spec.button ?? 'Registrera',
    group: 'grant',
    fields: [grantIdField, ...spec.fields],
    schema: WithGrantId.and(data) as unknown as z.ZodType<Record<string, unknown>>,
    execute: async (ledger, values, context) => {
      const { grantId, ...rest } = values as { grantId: string } & Record<string, unknown>;
      await ledger.executeGrant(grantId, toCommand(rest), context);
      return { redirect: grantPage(grantId), message };
    },
  };
}

function budgetForm(
  spec: Omit<FormSpec, 'schema' | 'execute' | 'group' | 'button'> & { button?: string },
  data: z.ZodType<Record<string, unknown>>,
  toCommand: (key: BudgetKey, data: Record<string, unknown>) => BudgetCommand,
  message: string,
): FormSpec {
  return {
    ...spec,
    button: spec.button ?? 'Registrera',
    group: 'budget',
    fields: [committeeField, yearField, ...spec.fields],
    schema: WithBudget.and(data) as unknown as z.ZodType<Record<string, unknown>>,
    execute: async (ledger, values, context) => {
      const { committee, fiscalYear, ...rest } = values as { committee: string; fiscalYear: number } & Record<string, unknown>;
      const key = { committee, fiscalYear };
      await ledger.executeBudget(key, toCommand(key, rest), context);
      return { redirect: `/resultat?committee=${encodeURIComponent(committee)}`, message };
    },
  };
}

const ReceiveGrantForm = GrantReceivedData.omit({ grantId: true }).superRefine(refineGrantDates);

export const FORMS: readonly FormSpec[] = [
  {
    slug: 'statsbidrag',
    title: 'Registrera statsbidrag',
    group: 'grant',
    intro: 'Ett nytt statsbidrag som nämnden har fått.',
    button: 'Registrera',
    fields: [
      { name: 'grantor', label: 'Bidragsgivare', kind: 'text', hint: 'T.ex. Tillväxtverket' },
      { name: 'title', label: 'Benämning', kind: 'text' },
      { name: 'purpose', label: 'Ändamål', kind: 'textarea' },
      { name: 'kind', label: 'Slag', kind: 'select', options: [['riktat', 'riktat'], ['generellt', 'generellt']] },
      { ...committeeField, fromQuery: false },
      amountField,
      date('receivedOn', 'Mottaget'),
      date('useBy', 'Användas senast'),
      { name: 'repaymentRequired', label: 'Återbetalningsskyldighet', kind: 'checkbox', hint: 'Det som inte används ska betalas tillbaka' },
      date('reportDue', 'Återrapporteras senast', true),
      { name: 'reference', label: 'Referens', kind: 'text', optional: true, hint: 'T.ex. beslutets diarienummer' },
    ],
    schema: ReceiveGrantForm as unknown as z.ZodType<Record<string, unknown>>,
    execute: async (ledger, values, context) => {
      // The id derives from the form's idempotency key: a double submit lands on the same stream.
      const grantId = entityIdFor(context.commandId, 'grant');
      const data = { ...values, grantId } as z.output<typeof GrantReceivedData>;
      await ledger.executeGrant(grantId, { type: 'ReceiveGrant', data }, context);
      return { redirect: grantPage(grantId), message: 'Statsbidraget är registrerat.' };
    },
  },
  grantForm(
    {
      slug: 'andra-statsbidrag',
      title: 'Ändra mottaget statsbidrag',
      intro: 'Rätta uppgifter om mottagandet. Fyll bara i det som ska ändras; vyer kända före ändringen visar de gamla uppgifterna.',
      fields: [
        { name: 'grantor', label: 'Bidragsgivare', kind: 'text', optional: true },
        { name: 'title', label: 'Benämning', kind: 'text', optional: true },
        { name: 'purpose', label: 'Ändamål', kind: 'textarea', optional: true },
        { name: 'kind', label: 'Slag', kind: 'select', optional: true, options: [['riktat', 'riktat'], ['generellt', 'generellt']] },
        { name: 'committee', label: 'Nämnd', kind: 'text', optional: true },
        { ...amountField, optional: true },
        date('useBy', 'Användas senast', true),
        { name: 'repaymentRequired', label: 'Återbetalningsskyldighet', kind: 'yesno', optional: true },
        date('reportDue', 'Återrapporteras senast', true),
        { name: 'reference', label: 'Referens', kind: 'text', optional: true },
        { name: 'reason', label: 'Orsak', kind: 'textarea', hint: 'Varför uppgifterna ändras' },
      ],
      button: 'Ändra',
    },
    GrantAmendedData as unknown as z.ZodType<Record<string, unknown>>,
    (data) => ({ type: 'AmendGrant', data: data as z.output<typeof GrantAmendedData> }),
    'Ändringen är registrerad.',
  ),
  grantForm(
    { slug: 'delbetalning', title: 'Registrera delbetalning', intro: 'Ytterligare en utbetalning av ett statsbidrag.', fields: [amountField, date('receivedOn', 'Mottaget'), { name: 'reference', label: 'Referens', kind: 'text', optional: true }] },
    GrantInstallmentReceivedData,
    (data) => ({ type: 'ReceiveInstallment', data: data as z.output<typeof GrantInstallmentReceivedData> }),
    'Delbetalningen är registrerad.',
  ),
  {
    ...grantForm(
      {
        slug: 'fordelning',
        title: 'Fördela medel',
        intro: 'Fördela riktade medel till en verksamhet.',
        fields: [{ name: 'activity', label: 'Verksamhet', kind: 'text', hint: 'Kod, t.ex. IFO' }, amountField, date('allocatedOn', 'Fördelat den')],
      },
      FundsAllocatedData.omit({ allocationId: true }),
      (data) => ({ type: 'AllocateFunds', data: data as z.output<typeof FundsAllocatedData> }),
      'Fördelningen är registrerad.',
    ),
    execute: async (ledger, values, context) => {
      const { grantId, ...rest } = values as { grantId: string } & Record<string, unknown>;
      const allocationId = entityIdFor(context.commandId, 'allocation');
      await ledger.executeGrant(grantId, { type: 'AllocateFunds', data: { ...rest, allocationId } as z.output<typeof FundsAllocatedData> }, context);
      return { redirect: grantPage(grantId), message: 'Fördelningen är registrerad.' };
    },
  },
  grantForm(
    {
      slug: 'frigorelse',
      title: 'Frigör fördelade medel',
      intro: 'Lämna tillbaka det som återstår av en fördelning till bidraget.',
      fields: [{ name: 'allocationId', label: 'Fördelning', kind: 'text', hint: 'Fördelningens id, som det står på bidragets sida', fromQuery: true }, amountField, date('releasedOn', 'Frigjort den')],
    },
    AllocationReleasedData,
    (data) => ({ type: 'ReleaseAllocation', data: data as z.output<typeof AllocationReleasedData> }),
    'Frigörelsen är registrerad.',
  ),
  grantForm(
    {
      slug: 'forbrukning',
      title: 'Registrera förbrukning',
      intro: 'Kostnader som bidraget täcker.',
      fields: [
        { name: 'allocationId', label: 'Fördelning', kind: 'text', hint: 'Fördelningens id, som det står på bidragets sida', fromQuery: true },
        amountField,
        date('spentOn', 'Förbrukat den'),
        { name: 'voucher', label: 'Verifikation', kind: 'text', hint: 'Verifikationsnummer i ekonomisystemet' },
      ],
    },
    FundsSpentData,
    (data) => ({ type: 'SpendFunds', data: data as z.output<typeof FundsSpentData> }),
    'Förbrukningen är registrerad.',
  ),
  grantForm(
    { slug: 'aterrapportering', title: 'Registrera återrapportering', intro: 'En redovisning till bidragsgivaren.', fields: [date('submittedOn', 'Inlämnad den'), { name: 'reference', label: 'Referens', kind: 'text' }] },
    GrantReportSubmittedData,
    (data) => ({ type: 'SubmitGrantReport', data: data as z.output<typeof GrantReportSubmittedData> }),
    'Återrapporteringen är registrerad.',
  ),
  grantForm(
    {
      slug: 'aterkrav',
      title: 'Registrera återkrav',
      intro: 'Bidragsgivarens krav på återbetalning.',
      fields: [amountField, date('demandedOn', 'Krävt den'), date('dueOn', 'Ska betalas senast'), { name: 'reference', label: 'Referens', kind: 'text' }],
    },
    DemandRepaymentData as unknown as z.ZodType<Record<string, unknown>>,
    (data) => ({ type: 'DemandRepayment', data: data as z.output<typeof DemandRepaymentData> }),
    'Återkravet är registrerat.',
  ),
  grantForm(
    {
      slug: 'aterbetalning',
      title: 'Registrera återbetalning',
      intro: 'Pengar som betalats tillbaka till bidragsgivaren.',
      fields: [amountField, date('returnedOn', 'Återbetalt den'), { name: 'reference', label: 'Referens', kind: 'text', optional: true }],
    },
    FundsReturnedData,
    (data) => ({ type: 'ReturnFunds', data: data as z.output<typeof FundsReturnedData> }),
    'Återbetalningen är registrerad.',
  ),
  grantForm(
    { slug: 'stang-statsbidrag', title: 'Stäng statsbidrag', intro: 'Avsluta ett bidrag när allt är använt eller återbetalt.', fields: [date('closedOn', 'Stängt den')], button: 'Stäng' },
    CloseGrantData,
    (data) => ({ type: 'CloseGrant', data: data as z.output<typeof CloseGrantData> }),
    'Statsbidraget är stängt.',
  ),
  grantForm(
    {
      slug: 'rattelse-statsbidrag',
      title: 'Rätta en post på ett statsbidrag',
      intro: 'En post tas bort ur alla senare vyer genom en ny post; inget raderas.',
      fields: [{ name: 'eventId', label: 'Post', kind: 'text', hint: 'Postens id, från bidragets historik', fromQuery: true }, { name: 'reason', label: 'Orsak', kind: 'textarea' }],
      button: 'Rätta',
    },
    ReverseEntryData,
    (data) => ({ type: 'ReverseEntry', data: data as z.output<typeof ReverseEntryData> }),
    'Rättelsen är registrerad.',
  ),
  budgetForm(
    {
      slug: 'anslag',
      title: 'Registrera anslag',
      intro: 'Kommunfullmäktiges anslag till nämnden för året.',
      fields: [
        { name: 'activity', label: 'Verksamhet', kind: 'text', optional: true, hint: 'Kod, t.ex. IFO; tomt för hela nämnden' },
        amountField,
        date('decidedOn', 'Beslutat den'),
        { name: 'decisionRef', label: 'Beslut', kind: 'text', hint: 'T.ex. KF § 12' },
      ],
    },
    GrantAppropriationData,
    (budget, data) => ({ type: 'GrantAppropriation', budget, data: data as z.output<typeof GrantAppropriationData> }),
    'Anslaget är registrerat.',
  ),
  budgetForm(
    {
      slug: 'justering',
      title: 'Registrera tilläggsanslag eller omfördelning',
      intro: 'En ändring av anslaget.',
      fields: [
        { name: 'activity', label: 'Verksamhet', kind: 'text', optional: true, hint: 'Kod, t.ex. IFO; tomt för hela nämnden' },
        { ...amountField, hint: SIGNED_HINT },
        date('decidedOn', 'Beslutat den'),
        { name: 'reason', label: 'Orsak', kind: 'textarea' },
        { name: 'decisionRef', label: 'Beslut', kind: 'text' },
      ],
    },
    AppropriationAdjustedData,
    (budget, data) => ({ type: 'AdjustAppropriation', budget, data: data as z.output<typeof AppropriationAdjustedData> }),
    'Ändringen av anslaget är registrerad.',
  ),
  budgetForm(
    {
      slug: 'utfall',
      title: 'Registrera utfall',
      intro: 'Kostnader och intäkter för en månad och verksamhet, från ekonomisystemet.',
      fields: [
        { name: 'period', label: 'Period', kind: 'period', hint: 'ÅÅÅÅ-MM' },
        { name: 'activity', label: 'Verksamhet', kind: 'text', hint: 'Kod, t.ex. IFO' },
        { name: 'costs', label: 'Kostnader', kind: 'amount', hint: AMOUNT_HINT },
        { name: 'revenues', label: 'Intäkter', kind: 'amount', hint: 'Utan statsbidrag som följs här' },
      ],
    },
    OutcomeRecordedData,
    (budget, data) => ({ type: 'RecordOutcome', budget, data: data as z.output<typeof OutcomeRecordedData> }),
    'Utfallet är registrerat.',
  ),
  budgetForm(
    {
      slug: 'prognos',
      title: 'Registrera prognos',
      intro: 'Förväntad avvikelse för helåret.',
      fields: [
        { name: 'afterPeriod', label: 'Efter period', kind: 'period', hint: 'ÅÅÅÅ-MM, t.ex. 2020-04' },
        { name: 'activity', label: 'Verksamhet', kind: 'text', optional: true, hint: 'Tomt för hela nämnden' },
        { name: 'deviation', label: 'Avvikelse', kind: 'amount', hint: 'Överskott positivt, underskott negativt' },
      ],
    },
    ForecastRecordedData,
    (budget, data) => ({ type: 'RecordForecast', budget, data: data as z.output<typeof ForecastRecordedData> }),
    'Prognosen är registrerad.',
  ),
  {
    ...budgetForm(
      {
        slug: 'bokslut',
        title: 'Stäng räkenskapsår',
        intro: 'Bokslut: årets resultat räknas fram och förs över enligt fullmäktiges beslut.',
        fields: [date('closedOn', 'Stängt den'), { name: 'carriedForward', label: 'Överfört resultat', kind: 'amount', optional: true, hint: 'Tomt för hela resultatet' }],
        button: 'Stäng året',
      },
      CloseFiscalYearData,
      () => {
        throw new Error('closing goes through Ledger.closeFiscalYear');
      },
      '',
    ),
    execute: async (ledger, values, context) => {
      const { committee, fiscalYear, ...rest } = values as { committee: string; fiscalYear: number; closedOn: string; carriedForward?: string };
      await ledger.closeFiscalYear({ committee, fiscalYear }, rest, context);
      return { redirect: `/resultat?committee=${encodeURIComponent(committee)}`, message: `Räkenskapsåret ${fiscalYear} är stängt.` };
    },
  },
  budgetForm(
    {
      slug: 'rattelse-budget',
      title: 'Rätta en post i budgeten',
      intro: 'En post tas bort ur alla senare vyer genom en ny post; inget raderas.',
      fields: [{ name: 'eventId', label: 'Post', kind: 'text', hint: 'Postens id', fromQuery: true }, { name: 'reason', label: 'Orsak', kind: 'textarea' }],
      button: 'Rätta',
    },
    ReverseBudgetEntryData,
    (budget, data) => ({ type: 'ReverseEntry', budget, data: data as z.output<typeof ReverseBudgetEntryData> }),
    'Rättelsen är registrerad.',
  ),
];

export function formBySlug(slug: string): FormSpec | undefined {
  return FORMS.find((form) => form.slug === slug);
}

// Reading what was typed

export type Typed = Readonly<Record<string, string>>;
export type FieldErrors = Record<string, string>;

const lower = (label: string) => label.charAt(0).toLowerCase() + label.slice(1);

/** The typed text of each field, as the browser sent it (a checkbox sends "ja" when ticked). */
export function typedOf(form: FormSpec, body: Record<string, unknown>): Record<string, string> {
  const typed: Record<string, string> = {};
  for (const field of form.fields) {
    const value = body[field.name];
    typed[field.name] = typeof value === 'string' ? value : '';
  }
  return typed;
}

/** Turns typed text into the values the schema checks; the first problem of each field in Swedish. */
export function parseTyped(form: FormSpec, typed: Typed): { values: Record<string, unknown>; errors: FieldErrors } {
  const values: Record<string, unknown> = {};
  const errors: FieldErrors = {};
  for (const field of form.fields) {
    const text = typed[field.name] ?? '';
    if (field.kind === 'checkbox') {
      values[field.name] = text === 'ja';
      continue;
    }
    const trimmed = field.kind === 'textarea' || field.kind === 'text' ? text : text.trim();
    if (trimmed.trim() === '') {
      if (!field.optional) errors[field.name] = field.kind === 'select' || field.kind === 'yesno' ? `Välj ${lower(field.label)}.` : `Fyll i ${lower(field.label)}.`;
      continue;
    }
    switch (field.kind) {
      case 'amount': {
        const amount = parseSwedishAmount(trimmed);
        if (amount === null) errors[field.name] = 'Skriv beloppet i kronor med siffror, t.ex. 8 000 000,00 eller 8000000.';
        else values[field.name] = amount;
        break;
      }
      case 'date':
        if (!isIsoDate(trimmed)) errors[field.name] = 'Skriv ett riktigt datum som ÅÅÅÅ-MM-DD, t.ex. 2020-12-31.';
        else values[field.name] = trimmed;
        break;
      case 'period':
        if (!isPeriod(trimmed)) errors[field.name] = 'Skriv perioden som ÅÅÅÅ-MM, t.ex. 2020-04.';
        else values[field.name] = trimmed;
        break;
      case 'year':
        if (!/^\d{4}$/.test(trimmed)) errors[field.name] = 'Skriv året med fyra siffror, t.ex. 2020.';
        else values[field.name] = Number(trimmed);
        break;
      case 'yesno':
        if (trimmed !== 'ja' && trimmed !== 'nej') errors[field.name] = `Välj ja eller nej.`;
        else values[field.name] = trimmed === 'ja';
        break;
      case 'select':
        if (!field.options?.some(([value]) => value === trimmed)) errors[field.name] = `Välj ${lower(field.label)} i listan.`;
        else values[field.name] = trimmed;
        break;
      default:
        values[field.name] = text.trim();
    }
  }
  return { values, errors };
}

/** The API's English validation messages, said in Swedish for the forms. */
function swedishIssue(message: string, field: FieldSpec | undefined): string {
  const rules: Array<[RegExp, string]> = [
    [/greater than zero/, 'Beloppet måste vara större än noll.'],
    [/must not be negative/, 'Beloppet får inte vara negativt.'],
    [/must not be zero/, 'Beloppet får inte vara noll.'],
    [/below 10\^13/, 'Beloppet måste vara mindre än 10 000 000 000 000 kr.'],
    [/at most two decimals/, 'Högst två decimaler (ören).'],
    [/before receivedOn/, 'Datumet får inte vara före dagen då bidraget mottogs.'],
    [/before demandedOn/, 'Datumet får inte vara före dagen för återkravet.'],
    [/at most (\d+) characters/, 'Texten är för lång.'],
    [/control characters/, 'Texten får inte innehålla styrtecken.'],
    [/not be (empty|blank)/, `Fyll i ${field ? lower(field.label) : 'fältet'}.`],
    [/committee slug|a–z, 0–9/, 'Skriv nämnden med små bokstäver a–z, siffror och bindestreck, t.ex. socialnamnden.'],
    [/activity code/, 'Skriv verksamheten som en kod med versaler, t.ex. IFO.'],
    [/must be an id|letters, digits/, 'Skriv ett id med bokstäver, siffror, punkt, understreck eller bindestreck.'],
    [/uuid/, 'Skriv postens id som det står i historiken.'],
    [/1900 or later|before 3000|whole year/, 'Skriv ett år mellan 1900 och 2999.'],
    [/at least one field/, 'Fyll i minst ett fält som ska ändras.'],
    [/period/, 'Skriv perioden som ÅÅÅÅ-MM, inom räkenskapsåret.'],
  ];
  for (const [pattern, swedish] of rules) if (pattern.test(message)) return swedish;
  return 'Värdet godtas inte.';
}

/** Checks the parsed values with the API's schema; problems go to the field they concern. */
export function validate(form: FormSpec, values: Record<string, unknown>): { data: Record<string, unknown> | null; errors: FieldErrors } {
  const result = form.schema.safeParse(values);
  if (result.success) return { data: result.data, errors: {} };
  const errors: FieldErrors = {};
  for (const issue of result.error.issues) {
    const name = typeof issue.path[0] === 'string' ? issue.path[0] : form.fields[0]!.name;
    const field = form.fields.find((candidate) => candidate.name === name) ?? form.fields[0]!;
    errors[field.name] ??= swedishIssue(issue.message, field);
  }
  return { data: null, errors };
}

/** The rules the ledger refuses by, in Swedish, and the field each most often concerns. */
const RULES: Record<string, readonly [message: string, field?: string]> = {
  GRANT_NOT_FOUND: ['Det finns inget statsbidrag med det id:t.', 'grantId'],
  GRANT_ALREADY_EXISTS: ['Statsbidraget finns redan.'],
  GRANT_CLOSED: ['Statsbidraget är stängt.', 'grantId'],
  USE_BY_BEFORE_RECEIVED_ON: ['Användas senast får inte vara före Mottaget.', 'useBy'],
  REPORT_DUE_BEFORE_RECEIVED_ON: ['Återrapporteringsdagen får inte vara före Mottaget.', 'reportDue'],
  DATE_BEFORE_GRANT_RECEIVED: ['Datumet är före dagen då bidraget mottogs.'],
  ALLOCATION_REQUIRES_RIKTAT_GRANT: ['Bara riktade statsbidrag fördelas till verksamheter.', 'grantId'],
  ALLOCATION_ALREADY_EXISTS: ['Fördelningen finns redan.'],
  ALLOCATION_NOT_FOUND: ['Det finns ingen sådan fördelning på bidraget.', 'allocationId'],
  ALLOCATION_EXCEEDS_UNALLOCATED: ['Beloppet är större än det som återstår att fördela.', 'amount'],
  DATE_BEFORE_ALLOCATION: ['Datumet är före fördelningen.'],
  RELEASE_EXCEEDS_REMAINING: ['Beloppet är större än det som återstår av fördelningen.', 'amount'],
  SPENDING_EXCEEDS_REMAINING: ['Beloppet är större än det som återstår av fördelningen.', 'amount'],
  SPENDING_AFTER_USE_BY: ['Förbrukningen är efter dagen då bidraget skulle användas senast.', 'spentOn'],
  REPAYMENT_EXCEEDS_UNUSED: ['Återkravet är större än det outnyttjade beloppet.', 'amount'],
  DUE_DATE_BEFORE_DEMAND: ['Dagen för betalning är före dagen för kravet.', 'dueOn'],
  RETURN_EXCEEDS_UNALLOCATED: ['Beloppet är större än det som inte är fördelat.', 'amount'],
  ALLOCATIONS_STILL_REMAINING: ['Det finns fördelningar med pengar kvar; förbruka eller frigör dem först.'],
  UNUSED_FUNDS_MUST_BE_REPAID: ['Outnyttjade medel måste betalas tillbaka innan bidraget stängs.'],
  REPAYMENT_OUTSTANDING: ['Ett återkrav är inte betalt.'],
  CLOSING_DATE_BEFORE_LAST_ENTRY: ['Datumet är före den senaste posten.', 'closedOn'],
  RETAINED_MUST_EQUAL_UNALLOCATED: ['Det behållna beloppet stämmer inte.'],
  BUDGET_NOT_FOUND: ['Det finns ingen budget för nämnden och året.', 'committee'],
  BUDGET_STREAM_MISMATCH: ['Nämnd och år stämmer inte med budgeten.', 'committee'],
  FISCAL_YEAR_CLOSED: ['Räkenskapsåret är stängt.', 'fiscalYear'],
  PERIOD_OUTSIDE_FISCAL_YEAR: ['Perioden ligger utanför räkenskapsåret.'],
  PERIOD_CLOSED: ['Perioden är stängd; boka rättelsen i ett öppet år.'],
  RESULT_MISMATCH: ['Resultatet stämmer inte.'],
  REVERSAL_TARGET_NOT_FOUND: ['Det finns ingen sådan post.', 'eventId'],
  ENTRY_ALREADY_REVERSED: ['Posten är redan rättad.', 'eventId'],
  GRANT_RECEIVED_CANNOT_BE_REVERSED: ['Mottagandet av bidraget kan inte tas bort; ändra det i stället.', 'eventId'],
  REVERSAL_CANNOT_BE_REVERSED: ['En rättelse kan inte rättas.', 'eventId'],
  REVERSAL_WOULD_BREAK_RULE: ['Utan posten skulle en regel brytas.', 'eventId'],
  AMENDMENT_CHANGES_NOTHING: ['Ändringen ändrar ingenting: fälten har redan de värdena.'],
  FIGURE_BELOW_ZERO_AS_OF: ['Med den här posten skulle ett belopp bli negativt vid något datum (t.ex. förbrukat före fördelningen).'],
  CLOSING_BEFORE_YEAR_END: ['Ett räkenskapsår kan stängas tidigast den 31 december.', 'closedOn'],
  PREVIOUS_YEAR_OPEN: ['Föregående år måste stängas först.', 'fiscalYear'],
  LATER_YEAR_CLOSED: ['Ett senare år är stängt; bara det senast stängda året kan öppnas igen.', 'eventId'],
  CARRIED_FORWARD_EXCEEDS_RESULT: ['Det överförda resultatet ska ha resultatets tecken och får inte vara större än resultatet.', 'carriedForward'],
  DECISION_DATE_OUTSIDE_RANGE: ['Beslutsdagen ska ligga mellan 1 januari två år före räkenskapsåret och årets sista dag.', 'decidedOn'],
  BUDGET_BELOW_ZERO: ['Budgeten skulle bli negativ.', 'amount'],
};

/** A refusal by the ledger, in Swedish, placed beside the field at fault when there is one. */
export function refusalOf(form: FormSpec, rule: string, field: string | undefined): { field: string | null; message: string } {
  const known = RULES[rule];
  const message = known?.[0] ?? `Registreringen avvisades (${rule}).`;
  const target = [field, known?.[1]].find((name) => name !== undefined && form.fields.some((candidate) => candidate.name === name));
  return { field: target ?? null, message };
}

/** What identifies a submitted form for idempotency: the form and exactly what it would record. */
export function requestHashOf(form: FormSpec, data: Record<string, unknown>): string {
  return createHash('sha256').update(`web ${form.slug}\n`).update(canonicalJson(data)).digest('hex');
}
