import type { z } from 'zod';

/**
 * A fast check that stored event data has the shape its schema describes: exactly the schema's
 * fields, each of the right kind, money as a two-decimal string and dates and periods as the
 * ledger writes them. It is derived once from the zod schemas, so it cannot drift from them, and
 * costs a fraction of a full parse (no transforms, no copies), which matters when a million
 * events are replayed. It judges shape only: the rules were judged when the event was decided.
 */
type FieldCheck = (value: unknown) => boolean;

interface Field {
  readonly name: string;
  readonly check: FieldCheck;
  readonly optional: boolean;
  /** A value drawn from a small set (dates, amounts, enums, allocation ids...): kept once, shared. */
  readonly shared: boolean;
}

interface Shape {
  /** The event type, as the schema spells it: every decoded event of the type shares this string. */
  readonly type: string;
  readonly fields: readonly Field[];
  readonly names: ReadonlySet<string>;
}

const MONEY = /^-?\d+\.\d{2}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const PERIOD = /^\d{4}-\d{2}$/;

interface ZodDef {
  readonly type: string;
  readonly innerType?: { _zod: { def: ZodDef } };
  readonly in?: { _zod: { def: ZodDef } };
  readonly entries?: Record<string, unknown>;
}

function defOf(schema: unknown): ZodDef {
  return (schema as { _zod: { def: ZodDef } })._zod.def;
}

function checkFor(name: string, def: ZodDef): FieldCheck {
  switch (def.type) {
    case 'pipe':
      // Money is the only transformed field: stored in its canonical two-decimal form.
      return (value) => typeof value === 'string' && MONEY.test(value);
    case 'string':
      if (name.endsWith('On') || name === 'useBy' || name === 'reportDue') return (value) => typeof value === 'string' && DATE.test(value);
      if (name === 'period' || name === 'afterPeriod') return (value) => typeof value === 'string' && PERIOD.test(value);
      return (value) => typeof value === 'string';
    case 'boolean':
      return (value) => typeof value === 'boolean';
    case 'number':
      return (value) => typeof value === 'number' && Number.isSafeInteger(value);
    case 'enum': {
      const allowed = new Set(Object.keys(def.entries ?? {}));
      return (value) => typeof value === 'string' && allowed.has(value);
    }
    default:
      throw new Error(`no shape check for a ${def.type} field (${name})`);
  }
}

/**
 * Fields whose values repeat across a log: dates, periods, money, enums, and the names of things
 * a grant or a budget refers to over and over. Free text and ids (voucher, reference, title) do not.
 */
const SHARED_NAMES = new Set(['activity', 'allocationId', 'committee', 'grantor', 'month']);

function isShared(name: string, def: ZodDef): boolean {
  if (def.type === 'pipe' || def.type === 'enum') return true;
  if (def.type !== 'string') return false;
  return SHARED_NAMES.has(name) || name.endsWith('On') || name === 'useBy' || name === 'reportDue' || name === 'period' || name === 'afterPeriod';
}

/** Compiles the shapes of a discriminated union of {type, data} event schemas. */
export function compileShapes(union: z.ZodDiscriminatedUnion): ReadonlyMap<string, Shape> {
  const shapes = new Map<string, Shape>();
  for (const option of union.options as unknown as Array<{ shape: { type: { value: string }; data: { shape: Record<string, unknown> } } }>) {
    const fields: Field[] = [];
    for (const [name, schema] of Object.entries(option.shape.data.shape)) {
      const def = defOf(schema);
      // A field with a default is optional in a command but always written: required when stored.
      const optional = def.type === 'optional';
      const inner = optional || def.type === 'default' ? def.innerType!._zod.def : def;
      fields.push({ name, check: checkFor(name, inner), optional, shared: isShared(name, inner) });
    }
    const type = option.shape.type.value;
    shapes.set(type, { type, fields, names: new Set(fields.map((field) => field.name)) });
  }
  return shapes;
}

/**
 * One copy of each repeated value: JSON.parse makes a new string for every date and amount of
 * every event, and a read model holding a million events would keep a million copies of a few
 * thousand dates. Bounded: it simply starts over when full (a string is still equal to its copy).
 */
const SHARED_LIMIT = 100_000;
const sharedStrings = new Map<string, string>();

function shared(text: string): string {
  const kept = sharedStrings.get(text);
  if (kept !== undefined) return kept;
  if (sharedStrings.size >= SHARED_LIMIT) sharedStrings.clear();
  sharedStrings.set(text, text);
  return text;
}

/** What is wrong with an event's shape, in words, or null when it fits its schema. */
export function shapeProblem(shapes: ReadonlyMap<string, Shape>, type: string, data: unknown): string | null {
  const shape = shapes.get(type);
  if (!shape) return `${type} is not an event of this stream`;
  return problemOf(shape, data, false);
}

/**
 * Checks data against its type's shape and, once it fits, shares its repeated values (see
 * `shared`): the same object, its strings replaced by equal ones. Returns the type's own spelling
 * of its name and the problem (null when it fits).
 */
export function checkAndShare(shapes: ReadonlyMap<string, Shape>, type: string, data: unknown): { type: string; problem: string | null } {
  const shape = shapes.get(type);
  if (!shape) return { type, problem: `${type} is not an event of this stream` };
  return { type: shape.type, problem: problemOf(shape, data, true) };
}

/**
 * Shares the repeated values of data already checked (an event a snapshot kept, decoded before it
 * was written): see `shared`. Returns the type's own spelling of its name; an unknown type is left as it is.
 */
export function shareValues(shapes: ReadonlyMap<string, Shape>, type: string, data: unknown): string {
  const shape = shapes.get(type);
  if (!shape || data === null || typeof data !== 'object' || Object.isFrozen(data)) return type;
  shareFields(shape, data as Record<string, unknown>);
  return shape.type;
}

function shareFields(shape: Shape, record: Record<string, unknown>): void {
  for (const field of shape.fields) {
    if (!field.shared) continue;
    const value = record[field.name];
    if (typeof value === 'string') record[field.name] = shared(value);
  }
}

function problemOf(shape: Shape, data: unknown, share: boolean): string | null {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return `its data is not an object`;
  const record = data as Record<string, unknown>;
  let problem: string | null = null;
  let present = 0;
  for (const field of shape.fields) {
    const value = record[field.name];
    if (value === undefined) {
      if (!field.optional) problem ??= `its data lacks ${field.name}`;
    } else if (!field.check(value)) {
      problem ??= `its data has a malformed ${field.name}`;
    } else {
      present += 1;
    }
  }
  // Counting the keys is cheaper than looking each one up; only a mismatch looks for the stranger.
  let keys = 0;
  for (const _key in record) keys += 1;
  if (keys !== present) {
    for (const key in record) if (!shape.names.has(key)) return `its data has an unknown field ${key}`;
  }
  if (problem !== null || !share || Object.isFrozen(record)) return problem;
  shareFields(shape, record);
  return null;
}
