// What the twin's reported sections held before this run, read back as JSON (from the twin at start, or as last
// written): only what the next sections depend on — each target's status, code and changedAt — is taken, and
// only where it has the right type, so a twin edited by hand or by an older version cannot break a write.
import { isPlainObject, type JsonObject } from '../config/json.js';
import { CODE_STATUS, type Code, type Status } from '../probe/types.js';
import type { PreviousResults, ReportedSections } from './reported.js';
import { SECTION_KEYS } from './patch.js';

type PreviousEntry = NonNullable<NonNullable<PreviousResults['results']>[string]>;

export function previousResults(twin: Readonly<JsonObject> | undefined): PreviousResults {
  const results = twin?.results;
  if (!isPlainObject(results)) return {};
  return { results: Object.fromEntries(Object.entries(results).map(([name, entry]) => [name, previousEntry(entry)])) };
}

function previousEntry(entry: unknown): PreviousEntry | null {
  if (!isPlainObject(entry)) return null;
  const read: PreviousEntry = {};
  if (isStatus(entry.status)) read.status = entry.status;
  if (isCode(entry.code)) read.code = entry.code;
  if (typeof entry.changedAt === 'string') read.changedAt = entry.changedAt;
  return read;
}

function isStatus(value: unknown): value is Status {
  return value === 'healthy' || value === 'degraded' || value === 'unhealthy';
}

function isCode(value: unknown): value is Code {
  return typeof value === 'string' && Object.hasOwn(CODE_STATUS, value);
}

/** The sections as the twin holds them: JSON, keyed by section. */
export function sectionsAsJson(sections: ReportedSections): JsonObject {
  return { status: sections.status, results: sections.results, edge: sections.edge };
}

/** The reported sections out of a whole reported document (the twin holds other keys beside them). */
export function sectionsOf(reported: Readonly<JsonObject>): JsonObject {
  return Object.fromEntries(SECTION_KEYS.filter((k) => reported[k] !== undefined).map((k) => [k, reported[k]]));
}
