// JSON values held to the Plug and Play model as the tools read it (the DTDL files in model/): a telemetry
// body, a reported patch, a command's answer. Each check returns what does not conform, as `path: problem`
// lines, empty when all does.
//
// The DTDL rules applied: every key must be declared (a telemetry of the component the message names in `$.sub`,
// a property, a field of an Object); values follow their schema — Object fields are optional, Map keys free,
// Array items and Map values each checked, an Enum's value among its enumValues, `integer` a 32-bit integer,
// `long` a safe integer, `double` a finite number, `dateTime` RFC 3339 — and null is no value of any schema.
// Reported patches follow IoT Hub's twin rules on top: null deletes (at any depth), a writable property is
// reported as an IoT Plug and Play acknowledgement { value, ac, av, ad } whose value follows its schema, and a
// desired key the model does not declare may only be refused that way (ac 400).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Content, Interface, Schema } from '../../src/model/dtdl.js';
import { MODEL_ID } from '../../src/model/ids.js';

const MODEL_DIR = path.resolve(import.meta.dirname, '../../model');

export interface Model {
  root: Interface;
  /** The interface of each component of the root, by component name. */
  components: Map<string, Interface>;
}

let cached: Model | undefined;

/** The model as the files in model/ hold it. */
export function loadModel(): Model {
  if (cached) return cached;
  const interfaces = new Map(
    jsonFiles(MODEL_DIR)
      .map((file) => JSON.parse(readFileSync(file, 'utf8')) as Interface)
      .map((i) => [i['@id'], i]),
  );
  const root = interfaces.get(MODEL_ID);
  if (!root) throw new Error(`model/ has no interface ${MODEL_ID}`);
  const components = new Map(
    root.contents.filter((c) => c['@type'] === 'Component').map((c) => [c.name, interfaces.get(c.schema as string)!]),
  );
  cached = { root, components };
  return cached;
}

/** A message body, as telemetry of the component named by `$.sub` (the root interface when there is none). */
export function telemetryProblems(model: Model, component: string | undefined, body: unknown): string[] {
  const iface = component === undefined ? model.root : model.components.get(component);
  if (!iface) return [`$.sub: '${component}' is no component of ${model.root['@id']}`];
  if (!isObject(body)) return ['body: not a JSON object'];
  return Object.entries(body).flatMap(([name, value]) => {
    const content = contentOf(iface, 'Telemetry', name);
    return content ? problems(content.schema as Schema, value, name) : [`${name}: no telemetry of ${iface['@id']}`];
  });
}

/** A reported patch as the module sends it. */
export function reportedPatchProblems(model: Model, patch: unknown): string[] {
  if (!isObject(patch)) return ['patch: not a JSON object'];
  return Object.entries(patch).flatMap(([name, value]) => {
    if (value === null) return []; // deletes whatever was there
    const content = contentOf(model.root, 'Property', name);
    if (!content) return acknowledgementProblems(undefined, value, name);
    if (content.writable) return acknowledgementProblems(content.schema as Schema, value, name);
    return problems(content.schema as Schema, value, name, { nullDeletes: true });
  });
}

/** A direct method's answer: the command's response schema; anything but 200 carries `message` alone. */
export function commandResponseProblems(model: Model, name: string, status: number, payload: unknown): string[] {
  const content = contentOf(model.root, 'Command', name);
  const response = content?.response as { schema: Schema } | undefined;
  if (!response) return [`${name}: no command with a response in ${model.root['@id']}`];
  const found = problems(response.schema, payload, `${name}(${status})`);
  if (status !== 200 && isObject(payload) && Object.keys(payload).join() !== 'message')
    found.push(`${name}(${status}): a refusal carries { message } alone`);
  return found;
}

/** `{ value, ac, av, ad }`; `schema` undefined for a desired key the model does not declare, which is refused. */
function acknowledgementProblems(schema: Schema | undefined, ack: unknown, at: string): string[] {
  if (!isObject(ack)) return [`${at}: not an acknowledgement { value, ac, av, ad }`];
  const found = Object.keys(ack)
    .filter((key) => !['value', 'ac', 'av', 'ad'].includes(key))
    .map((key) => `${at}.${key}: not part of an acknowledgement`);
  found.push(
    ...problems('integer', ack.ac, `${at}.ac`),
    ...problems('integer', ack.av, `${at}.av`),
    ...problems('string', ack.ad, `${at}.ad`),
  );
  if (schema === undefined) {
    if (ack.ac !== 400) found.push(`${at}: no property of the model, acknowledged with ac ${String(ack.ac)}, not 400`);
  } else if (ack.value !== undefined && ack.value !== null) {
    found.push(...problems(schema, ack.value, `${at}.value`, { nullDeletes: true }));
  }
  return found;
}

interface Rules {
  /** In a twin patch, null at any depth deletes the key it is written for. */
  nullDeletes?: boolean;
}

const INT32 = 2 ** 31;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

const PRIMITIVES: Record<string, (v: unknown) => boolean> = {
  boolean: (v) => typeof v === 'boolean',
  integer: (v) => Number.isInteger(v) && (v as number) >= -INT32 && (v as number) < INT32,
  long: (v) => Number.isSafeInteger(v),
  double: (v) => typeof v === 'number' && Number.isFinite(v),
  string: (v) => typeof v === 'string',
  dateTime: (v) => typeof v === 'string' && RFC3339.test(v) && !Number.isNaN(Date.parse(v)),
};

function problems(schema: Schema, value: unknown, at: string, rules: Rules = {}): string[] {
  if (value === null) return rules.nullDeletes ? [] : [`${at}: null, which no DTDL schema holds`];
  if (typeof schema === 'string') {
    const check = PRIMITIVES[schema];
    if (!check) throw new Error(`${at}: schema ${schema} is not one this checker knows`);
    return check(value) ? [] : [`${at}: ${JSON.stringify(value)?.slice(0, 80)} is not a ${schema}`];
  }
  switch (schema['@type']) {
    case 'Enum':
      return schema.enumValues.some((v) => v.enumValue === value)
        ? []
        : [`${at}: ${JSON.stringify(value)?.slice(0, 80)} is none of the enum's values`];
    case 'Array':
      return Array.isArray(value)
        ? value.flatMap((item, i) => problems(schema.elementSchema, item, `${at}[${i}]`, rules))
        : [`${at}: not an array`];
    case 'Map':
      return isObject(value)
        ? Object.entries(value).flatMap(([key, v]) => problems(schema.mapValue.schema, v, `${at}.${key}`, rules))
        : [`${at}: not an object (a map)`];
    case 'Object': {
      if (!isObject(value)) return [`${at}: not an object`];
      const fields = new Map(schema.fields.map((f) => [f.name, f.schema]));
      return Object.entries(value).flatMap(([key, v]) => {
        const field = fields.get(key);
        return field === undefined
          ? [`${at}.${key}: no field of the object's schema`]
          : problems(field, v, `${at}.${key}`, rules);
      });
    }
  }
}

function contentOf(iface: Interface, type: Content['@type'], name: string): Content | undefined {
  return iface.contents.find((c) => c['@type'] === type && c.name === name);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function jsonFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? jsonFiles(path.join(dir, entry.name))
      : entry.name.endsWith('.json')
        ? [path.join(dir, entry.name)]
        : [],
  );
}
