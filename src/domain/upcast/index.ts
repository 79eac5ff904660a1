import type { Upcaster } from './upcaster.js';
import { grantReportSubmittedV1ToV2 } from './GrantReportSubmitted.v1-v2.js';

export type { Upcaster } from './upcaster.js';

/**
 * Every upcaster of the ledger, one file per event type and version step. An event type's current
 * schema version is 1 plus its steps; a new step is added here and nowhere else (and, since the
 * read model keeps events decoded, with PROJECTION_VERSION raised so no snapshot of the old shape loads).
 */
const UPCASTERS: readonly Upcaster[] = [grantReportSubmittedV1ToV2];

const STEPS = new Map<string, Upcaster[]>();
for (const upcaster of UPCASTERS) {
  const steps = STEPS.get(upcaster.type) ?? [];
  if (upcaster.from !== steps.length + 1) throw new Error(`upcasters of ${upcaster.type} must be listed from version 1 on, one step each`);
  steps.push(upcaster);
  STEPS.set(upcaster.type, steps);
}

/** The schema version events of this type are written at now (1 for a type that never changed). */
export function currentSchemaVersion(type: string): number {
  return (STEPS.get(type)?.length ?? 0) + 1;
}

/**
 * The data of an event written at `version`, in its type's current shape. Data already current is
 * returned as it is (no copy: a replay of millions of events pays nothing for types that never changed).
 */
export function upcastData(type: string, version: number, data: unknown): unknown {
  const steps = STEPS.get(type);
  if (steps === undefined || version > steps.length) return data;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return data; // the shape check names it
  let upcast = data as Record<string, unknown>;
  for (const step of steps.slice(version - 1)) upcast = step.upcast(upcast);
  return upcast;
}
