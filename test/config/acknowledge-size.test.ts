// The acknowledgement shares the reported section with status/results/edge, and IoT Hub refuses a section
// over 32 KB (https://learn.microsoft.com/azure/iot-hub/iot-hub-devguide-module-twins#module-twin-size). So
// whatever the desired document holds — hundreds of unknown keys of maximal length, every value at its
// limit, fault texts full of characters JSON escapes — the acknowledgement patch, its nulls included, must
// leave the sections their room, and deleting the keys must leave no stale acknowledgement behind.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ACK_PATCH_BUDGET_BYTES } from '../../src/config/acknowledge.js';
import type { JsonObject } from '../../src/config/json.js';
import { applyDesiredPatch, applyFullDesired, createConfigState, type DesiredUpdate } from '../../src/config/state.js';
import { twinSafetyViolation } from '../../src/config/twin-safe.js';
import { DESIRED_KEYS } from '../../src/config/model.js';
import { jsonBytes } from '../../src/report/budget.js';
import { reportedPatch } from '../../src/report/patch.js';
import { reportedSections, SECTIONS_BUDGET_BYTES } from '../../src/report/reported.js';
import { longHost, PATHOLOGICAL, worstCaseRun, worstEdge } from '../report/factory.js';
import { applyPatch, viaJson } from '../report/twin-model.js';

const SECTION_LIMIT = 32 * 1024;
/** What the acknowledgement may take: the section's limit less the room the status/results/edge sections are given. */
const ACK_ROOM = SECTION_LIMIT - SECTIONS_BUDGET_BYTES;

/** 64 bytes (the longest twin key), half of them characters JSON escapes: `"` and `\`. */
const unknownKey = (i: number) => `${'"\\'.repeat(28)}${String(i).padStart(8, '0')}`;
const UNKNOWN = Array.from({ length: 300 }, (_, i) => unknownKey(i));

/** Every known key (DESIRED_KEYS) at its largest accepted value: 32 targets with 64-character names, 253-character hosts, full lists. */
function largestAccepted(): JsonObject {
  const mapped = (i: number) => `0000:0000:0000:0000:0000:ffff:255.255.255.${240 + i}`;
  const target = (i: number) => ({
    host: longHost(i, 253, 'privatelink.azurecr.io'),
    kind: 'acrData',
    ports: Array.from({ length: 8 }, (_, j) => 65535 - j).join(','),
    expectedAddresses: Array.from({ length: 8 }, (_, j) => mapped(j)).join(','),
  });
  return {
    intervalSeconds: 86_400,
    timeoutMs: 60_000,
    hostnamePolicy: 'privatelink',
    dns: {
      servers: Array.from({ length: 8 }, (_, j) => `[ffff:ffff:ffff:ffff:ffff:ffff:ffff:fff${j}]:65535`),
      system: false,
      privateRanges: Array.from(
        { length: 11 },
        (_, j) => `ffff:ffff:ffff:ffff:ffff:ffff:fff${j.toString(16)}:0000/112`,
      ),
    },
    targets: Object.fromEntries(
      Array.from({ length: 32 }, (_, i) => [`${'n'.repeat(61)}${String(i).padStart(3, '0')}`, target(i)]),
    ),
    autoTargets: false,
    telemetry: { enabled: true, output: 'o'.repeat(64), onChangeOnly: true },
    flapping: { enabled: false, changes: 288, window: 288 },
    serviceCheck: false,
  };
}

/** The reported section as IoT Hub holds it: the worst sections the module writes, then each acknowledgement patch. */
function twinWithWorstSections(): JsonObject {
  const run = worstCaseRun(PATHOLOGICAL);
  const sections = reportedSections(run, {
    edge: worstEdge(),
    moduleVersion: '0.1.0',
    nextRunAt: run.startedAt,
    runCount: 1,
  });
  return applyPatch({}, viaJson(reportedPatch(undefined, sections))) as JsonObject;
}

function expectWithinRoom(update: DesiredUpdate, twin: JsonObject): JsonObject {
  expect(twinSafetyViolation(update.ack)).toBeUndefined();
  expect(jsonBytes(update.ack), 'acknowledgement patch').toBeLessThanOrEqual(ACK_ROOM);
  expect(jsonBytes(update.ack), 'acknowledgement patch').toBeLessThanOrEqual(ACK_PATCH_BUDGET_BYTES);
  const next = applyPatch(twin, viaJson(update.ack)) as JsonObject;
  expect(jsonBytes(next), 'reported section').toBeLessThanOrEqual(SECTION_LIMIT);
  return next;
}

const acks = (twin: JsonObject) => Object.keys(twin).filter((key) => !['status', 'results', 'edge'].includes(key));

describe('the acknowledgement of a desired document with hundreds of unknown keys', () => {
  it('stays within the room the sections leave, names the keys it ignores, and is gone once they are deleted', () => {
    let twin = twinWithWorstSections();
    const first = applyFullDesired(createConfigState(), { ...largestAccepted(), $version: 1 }, {});
    expect(first.errors).toEqual([]);
    twin = expectWithinRoom(first, twin);

    // Unknown keys with values and faulty known values full of characters JSON escapes as \u0000.
    const control = '\u0000'.repeat(600);
    const unknown = Object.fromEntries(UNKNOWN.map((key) => [key, control]));
    const flooded = applyDesiredPatch(first.state, {
      ...unknown,
      intervalSeconds: control,
      timeoutMs: control,
      $version: 2,
    });
    expect(flooded.errors.length).toBeGreaterThan(UNKNOWN.length);
    twin = expectWithinRoom(flooded, twin);
    expect(twin.intervalSeconds).toMatchObject({ value: 86_400, ac: 400, av: 2 });
    // The first unknown keys are acknowledged one by one; the rest are named, and counted, in one entry.
    expect(twin[UNKNOWN[0]!]).toMatchObject({ ac: 400, av: 2 });
    expect(twin[UNKNOWN[299]!]).toBeUndefined();
    expect(twin.unknownKeys).toMatchObject({ ac: 400, av: 2, value: expect.stringMatching(/^"/) });
    expect((twin.unknownKeys as JsonObject).ad).toMatch(/\b29\d unknown desired keys\b/);

    const cleaned = applyDesiredPatch(flooded.state, {
      ...Object.fromEntries(UNKNOWN.map((key) => [key, null])),
      intervalSeconds: 300,
      timeoutMs: null,
      $version: 3,
    });
    expect(cleaned.errors).toEqual([]);
    twin = expectWithinRoom(cleaned, twin);
    expect(acks(twin).sort()).toEqual(DESIRED_KEYS.filter((key) => key !== 'timeoutMs').sort());
    expect(twin.intervalSeconds).toMatchObject({ value: 300, ac: 200, av: 3, ad: 'applied' });
  });

  it('removes at start-up the acknowledgements a twin still holds for keys deleted meanwhile', () => {
    const reported = Object.fromEntries(
      UNKNOWN.slice(0, 50).map((key) => [key, { value: null, ac: 400, av: 7, ad: 'unknown key' }]),
    );
    const twin = {
      ...twinWithWorstSections(),
      ...reported,
      unknownKeys: { value: 'a,b', ac: 400, av: 7, ad: '250 unknown desired keys' },
    };
    const update = applyFullDesired(createConfigState(), { intervalSeconds: 60, $version: 8 }, twin);
    expect(acks(applyPatch(twin, viaJson(update.ack)) as JsonObject)).toEqual(['intervalSeconds']);
  });
});

// ---- any document -------------------------------------------------------------------------------------------

const twinKey = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 64 }),
  fc.integer({ min: 0, max: 999 }).map(unknownKey),
  fc.constantFrom(...DESIRED_KEYS, 'status', 'results', 'edge', 'unknownKeys', '__proto__'),
);
const value = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.string({ unit: 'binary', maxLength: 700 }), fc.constant(null));
const documents = fc.oneof(
  fc.dictionary(twinKey, value, { maxKeys: 10 }),
  fc.dictionary(twinKey, value, { minKeys: 50, maxKeys: 400 }),
);
const knownDocuments = fc.constantFrom<JsonObject>(largestAccepted(), { intervalSeconds: 60 }, {});

describe('the acknowledgement of any desired document', () => {
  it('fits the room the sections leave, is twin-safe, and leaves the twin holding exactly the acknowledgement', () => {
    fc.assert(
      fc.property(
        knownDocuments,
        fc.array(fc.tuple(documents, fc.boolean()), { minLength: 1, maxLength: 4 }),
        (start, steps) => {
          let update = applyFullDesired(createConfigState(), { ...start, $version: 1 }, {});
          let twin = expectWithinRoom(update, twinWithWorstSections());
          steps.forEach(([doc, whole], i) => {
            const version = i + 2;
            update = whole
              ? applyFullDesired(update.state, { ...doc, $version: version })
              : applyDesiredPatch(update.state, { ...doc, $version: version });
            twin = expectWithinRoom(update, twin);
            // Nothing stale: the twin's acknowledgements are exactly the last one written (where a null value is no value).
            const held = Object.fromEntries(acks(twin).map((key) => [key, twin[key]]));
            expect(held).toEqual(applyPatch({}, viaJson(update.state.acknowledged)));
          });
        },
      ),
      { numRuns: 60 },
    );
  });
});
