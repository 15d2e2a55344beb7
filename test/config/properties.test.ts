// Property tests: desired documents are outside input, so validation, acknowledgement and the state
// machine must answer every JSON document without throwing, and everything they report must be
// something the twin accepts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { acknowledge, RESERVED_REPORTED_KEYS, UNKNOWN_KEYS_ENTRY } from '../../src/config/acknowledge.js';
import type { JsonObject } from '../../src/config/json.js';
import { parseList, parsePorts } from '../../src/config/lists.js';
import { mergeDesired } from '../../src/config/merge.js';
import { applyDesiredPatch, applyFullDesired, createConfigState } from '../../src/config/state.js';
import { isTwinSafe, twinSafetyViolation } from '../../src/config/twin-safe.js';
import { DESIRED_KEYS } from '../../src/config/model.js';
import { contentKeys, DEFAULT_CONFIG, validateDesired } from '../../src/config/validate.js';

// ---- generators ---------------------------------------------------------------------------------

const json = fc.jsonValue({ maxDepth: 3 });
/** Keys IoT Hub lets through (twin-safe), including the names of the module's own reported sections. */
const twinKey = fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/), fc.constantFrom(...RESERVED_REPORTED_KEYS));
const listOf = <T>(item: fc.Arbitrary<T>) => {
  const items = fc.array(item, { minLength: 1, maxLength: 4 });
  return fc.oneof(
    items,
    items.map((list) => list.join(',')),
  );
};
const integer = (min: number, max: number) => fc.oneof(fc.integer({ min, max }), fc.integer({ min, max }).map(String));

/**
 * Desired documents under the known keys. With `noisy`, any value may be replaced by a near miss or by
 * arbitrary JSON and unknown keys appear; without, values are valid (most such documents are accepted,
 * some are not: 33+ targets, `dns.system` false without servers).
 */
function desiredDocuments(noisy: boolean): fc.Arbitrary<JsonObject> {
  const mostly = <T>(valid: fc.Arbitrary<T>, noise: fc.Arbitrary<unknown> = json): fc.Arbitrary<unknown> =>
    noisy ? fc.oneof({ arbitrary: valid, weight: 8 }, { arbitrary: noise, weight: 1 }) : valid;
  const boolean = mostly(fc.oneof(fc.boolean(), fc.constantFrom('true', 'FALSE')), fc.constantFrom('yes', '1'));
  const server = mostly(
    fc.oneof(fc.ipV4(), fc.ipV6(), fc.constantFrom('10.0.0.4:5353', '[fd00::4]:53')),
    fc.constantFrom('dns.example', '1.2.3.4:0'),
  );
  const cidr = mostly(
    fc.constantFrom('10.0.0.0/8', 'fc00::/7', '192.168.1.0/24'),
    fc.constantFrom('10.0.0.0/33', '10.0.0.1'),
  );
  const host = mostly(fc.oneof(fc.domain(), fc.ipV4(), fc.ipV6()), fc.constantFrom('bad host', '', 'x'.repeat(600)));
  const ports = mostly(
    listOf(fc.integer({ min: 1, max: 65535 })),
    fc.oneof(fc.array(fc.integer({ min: -1, max: 70_000 })), fc.string({ maxLength: 20 })),
  );
  const target = mostly(
    fc
      .record(
        {
          host,
          kind: mostly(fc.constantFrom('iothub', 'dps', 'acr', 'acrData', 'blob', 'eventhub', 'custom')),
          ports,
          expectedAddresses: mostly(listOf(fc.ipV4())),
          enabled: boolean,
          extra: mostly(fc.constant(undefined)),
        },
        { requiredKeys: ['host'] },
      )
      .map(({ extra, ...rest }) => (extra === undefined ? rest : { ...rest, extra })),
  );
  const validName = fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/);
  const name = noisy
    ? fc.oneof({ arbitrary: validName, weight: 8 }, { arbitrary: fc.string({ maxLength: 8 }), weight: 1 })
    : validName;
  const content = fc.record(
    {
      intervalSeconds: mostly(integer(10, 86_400), fc.oneof(integer(-10, 100_000), fc.double())),
      timeoutMs: mostly(integer(100, 60_000), integer(-10, 100_000)),
      hostnamePolicy: mostly(fc.constantFrom('privatelink', 'public', 'any'), fc.constantFrom('other', '')),
      dns: mostly(
        fc.record(
          { servers: mostly(listOf(server)), system: boolean, privateRanges: mostly(listOf(cidr)) },
          { requiredKeys: [] },
        ),
      ),
      targets: mostly(
        fc.oneof(
          { arbitrary: fc.dictionary(name, target, { maxKeys: 5 }), weight: 5 },
          { arbitrary: fc.dictionary(name, target, { minKeys: 30, maxKeys: 36 }), weight: 1 },
        ),
      ),
      autoTargets: boolean,
      telemetry: mostly(
        fc.record(
          { enabled: boolean, output: mostly(fc.stringMatching(/^[A-Za-z0-9_-]{1,70}$/)), onChangeOnly: boolean },
          { requiredKeys: [] },
        ),
      ),
    },
    { requiredKeys: [] },
  );
  const unknown = noisy ? fc.dictionary(twinKey, json, { maxKeys: 2 }) : fc.constant({});
  return fc.tuple(content, unknown).map(([known, extra]) => ({ ...extra, ...known }));
}

const desired = fc.oneof(desiredDocuments(false), desiredDocuments(true));
const patch = fc.oneof(
  desired,
  fc.record({ targets: fc.dictionary(fc.stringMatching(/^[a-c]$/), fc.constant(null), { maxKeys: 2 }) }),
  fc.dictionary(fc.oneof(twinKey, fc.constantFrom('intervalSeconds', 'dns', 'targets')), fc.constant(null), {
    maxKeys: 3,
  }),
);

/**
 * Ack entries the module writes for a document with a few unknown keys: every present key, except those named
 * like a reported section or like `unknownKeys`, which that entry names instead.
 */
function acknowledgedKeys(doc: JsonObject): string[] {
  const known: readonly string[] = DESIRED_KEYS;
  const listed = contentKeys(doc).filter(
    (key) => !known.includes(key) && [...RESERVED_REPORTED_KEYS, UNKNOWN_KEYS_ENTRY].includes(key),
  );
  const inPlace = contentKeys(doc).filter((key) => !listed.includes(key));
  return [...inPlace, ...(listed.length > 0 ? [UNKNOWN_KEYS_ENTRY] : [])].sort();
}

function depth(value: unknown): number {
  return typeof value === 'object' && value !== null ? 1 + Math.max(0, ...Object.values(value).map(depth)) : 0;
}

// ---- properties ---------------------------------------------------------------------------------

describe('properties: validation and acknowledgement', () => {
  it('validate answers every document, with errors naming present top-level keys', () => {
    fc.assert(
      fc.property(desired, (doc) => {
        const result = validateDesired(doc);
        if (result.ok) return;
        expect(result.errors.length).toBeGreaterThan(0);
        for (const error of result.errors) {
          expect(contentKeys(doc)).toContain(error.key);
          expect(error.path === error.key || error.path.startsWith(`${error.key}.`)).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('an accepted document gives at most 32 sorted desired targets and settings inside their ranges', () => {
    fc.assert(
      fc.property(desired, (doc) => {
        const result = validateDesired(doc);
        if (!result.ok) return;
        const { intervalSeconds, settings, targets } = result.config;
        expect(intervalSeconds).toBeGreaterThanOrEqual(10);
        expect(settings.timeoutMs).toBeGreaterThanOrEqual(100);
        expect(targets.length).toBeLessThanOrEqual(32);
        expect(targets.map((t) => t.name)).toEqual(targets.map((t) => t.name).sort());
        expect(targets.every((t) => t.source === 'desired')).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('acknowledge answers every document with a twin-safe entry for every present key', () => {
    fc.assert(
      fc.property(desired, fc.nat(), (doc, version) => {
        const result = validateDesired(doc);
        const { ack } = acknowledge(doc, version, result, DEFAULT_CONFIG);
        expect(Object.keys(ack).sort()).toEqual(acknowledgedKeys(doc));
        for (const entry of Object.values(ack)) {
          expect(entry.ac).toBe(result.ok ? 200 : 400);
          expect(entry.av).toBe(version);
        }
        expect(twinSafetyViolation(ack)).toBeUndefined();
        expect(depth(ack)).toBeLessThanOrEqual(5);
      }),
      { numRuns: 200 },
    );
  });
});

describe('properties: the state machine', () => {
  it('never throws; every acknowledgement is twin-safe, complete, and leaves the reported section equal to it', () => {
    fc.assert(
      fc.property(desired, fc.array(patch, { maxLength: 6 }), (first, patches) => {
        let update = applyFullDesired(createConfigState(), { ...first, $version: 1 });
        let reported: JsonObject = mergeDesired({}, update.ack);
        patches.forEach((p, i) => {
          const previousConfig = update.state.config;
          update = applyDesiredPatch(update.state, { ...p, $version: i + 2 });
          expect(update.versionChanged).toBe(true);
          expect(twinSafetyViolation(update.ack)).toBeUndefined();
          // IoT Hub merges the patch into the reported section (a null deletes): nothing stale may remain.
          reported = mergeDesired(reported, update.ack);
          expect(reported).toEqual(mergeDesired({}, update.state.acknowledged));
          expect(Object.keys(update.state.acknowledged).sort()).toEqual(acknowledgedKeys(update.state.desired));

          const result = validateDesired(update.state.desired);
          expect(update.errors).toEqual(result.ok ? [] : result.errors);
          expect(update.state.config).toEqual(result.ok ? result.config : previousConfig);
        });
      }),
      { numRuns: 150 },
    );
  });

  it('re-applying the same version is a no-op', () => {
    fc.assert(
      fc.property(desired, patch, (first, p) => {
        const state = applyFullDesired(createConfigState(), { ...first, $version: 3 }).state;
        const again = applyDesiredPatch(state, { ...p, $version: 3 });
        expect(again).toEqual({ state, changed: false, versionChanged: false, ack: {}, errors: state.errors });
        const reread = applyFullDesired(state, { ...first, $version: 3 });
        expect(reread.changed).toBe(false);
        expect(reread.versionChanged).toBe(false);
      }),
    );
  });
});

describe('properties: merge, lists and the twin-safety predicate', () => {
  it('merge never mutates its inputs and, from a merged document, leaves no null or $ key in objects', () => {
    fc.assert(
      fc.property(desired, patch, (doc, p) => {
        const current = mergeDesired({}, { ...doc, $version: 1 });
        const before = structuredClone([current, p]);
        const merged = mergeDesired(current, { ...p, $version: 2 });
        expect([current, p]).toEqual(before);
        const clean = (value: unknown): boolean =>
          typeof value !== 'object' ||
          value === null ||
          Array.isArray(value) ||
          Object.entries(value).every(([k, v]) => !k.startsWith('$') && v !== null && clean(v));
        expect(clean(merged)).toBe(true);
      }),
    );
  });

  it('list and port parsers answer anything, ports always within 1–65535', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.anything(), listOf(fc.oneof(fc.string(), fc.integer({ min: -1, max: 70_000 })))),
        (value) => {
          const list = parseList(value);
          expect(list === undefined || list.every((item) => item.length > 0 && item === item.trim())).toBe(true);
          const parsed = parsePorts(value);
          if (typeof parsed !== 'string') {
            expect(parsed.length).toBeGreaterThan(0);
            expect(parsed.every((p) => Number.isInteger(p) && p >= 1 && p <= 65535)).toBe(true);
          }
        },
      ),
    );
  });

  const safeKey = fc.stringMatching(/^[A-Za-z0-9_-]{1,16}$/);
  const safeLeaf = fc.oneof(fc.constant(null), fc.boolean(), fc.integer(), fc.string({ maxLength: 40 }));
  const safeValue = (levels: number): fc.Arbitrary<unknown> =>
    levels === 0 ? safeLeaf : fc.oneof(safeLeaf, fc.dictionary(safeKey, safeValue(levels - 1), { maxKeys: 3 }));
  const safeObject = fc.dictionary(safeKey, safeValue(4), { maxKeys: 4 });

  it('the predicate accepts objects of twin-safe parts up to depth 5', () => {
    fc.assert(
      fc.property(safeObject, (value) => {
        expect(isTwinSafe(value)).toBe(true);
      }),
    );
  });

  it('the predicate rejects a safe object once an array, a long string or a bad key is put anywhere in it', () => {
    const poison = fc.constantFrom<[string, unknown]>(
      ['list', [1]],
      ['long', 'x'.repeat(513)],
      ['a.b', 1],
      ['$x', 1],
      ['a b', 1],
    );
    fc.assert(
      fc.property(safeObject, fc.array(fc.nat()), poison, (value, route, [key, bad]) => {
        let node: Record<string, unknown> = value;
        for (const step of route) {
          const children = Object.values(node).filter(
            (v): v is Record<string, unknown> => typeof v === 'object' && v !== null,
          );
          if (children.length === 0) break;
          node = children[step % children.length]!;
        }
        node[key] = bad;
        expect(isTwinSafe(value)).toBe(false);
      }),
    );
  });

  it('the predicate answers any value without throwing', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        expect(typeof isTwinSafe(value)).toBe('boolean');
      }),
    );
  });
});
