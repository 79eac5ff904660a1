import type { z } from 'zod';

/**
 * A fast check that stored event data has the shape its schema describes: exactly the schema's
 * fields, each of the right kind, money as a two-decimal string and dates and periods as the
 * ledger writes them. It is derived once from the zod schemas, so it cannot drift from them, and
 * costs a fraction of a full parse (no transforms, no copies), which matters when a million
 * events are replayed. It judges shape only: the rules were judged when the event was decided.
 */
type FieldCheck = (value: unknown) => boolean;

interface Shape {
  readonly fields: ReadonlyMap<string, { readonly check: FieldCheck; readonly optional: boolean }>;
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

/** Compiles the shapes of a discriminated union of {type, data} event schemas. */
export function compileShapes(union: z.ZodDiscriminatedUnion): ReadonlyMap<string, Shape> {
  const shapes = new Map<string, Shape>();
  for (const option of union.options as unknown as Array<{ shape: { type: { value: string }; data: { shape: Record<string, unknown> } } }>) {
    const fields = new Map<string, { check: FieldCheck; optional: boolean }>();
    for (const [name, schema] of Object.entries(option.shape.data.shape)) {
      const def = defOf(schema);
      // A field with a default is optional in a command but always written: required when stored.
      const optional = def.type === 'optional';
      const inner = optional || def.type === 'default' ? def.innerType!._zod.def : def;
      fields.set(name, { check: checkFor(name, inner), optional });
    }
    shapes.set(option.shape.type.value, { fields });
  }
  return shapes;
}

/** What is wrong with an event's shape, in words, or null when it fits its schema. */
export function shapeProblem(shapes: ReadonlyMap<string, Shape>, type: string, data: unknown): string | null {
  const shape = shapes.get(type);
  if (!shape) return `${type} is not an event of this stream`;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return `its data is not an object`;
  const record = data as Record<string, unknown>;
  for (const key in record) if (!shape.fields.has(key)) return `its data has an unknown field ${key}`;
  for (const [name, field] of shape.fields) {
    const value = record[name];
    if (value === undefined) {
      if (!field.optional) return `its data lacks ${name}`;
    } else if (!field.check(value)) {
      return `its data has a malformed ${name}`;
    }
  }
  return null;
}
