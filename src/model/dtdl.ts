// DTDL v2 elements as plain JSON (https://github.com/Azure/opendigitaltwins-dtdl/blob/master/DTDL/v2/DTDL.v2.md),
// built in TypeScript so the model follows the code: `object<T>` takes exactly the keys of the type it describes,
// and `every<T>` exactly the members of a union, so a field or a value added to the code and not to the model
// fails the type check.

export type Primitive = 'boolean' | 'integer' | 'long' | 'double' | 'string' | 'dateTime';
export type Schema = Primitive | ObjectSchema | ArraySchema | MapSchema | EnumSchema;

export interface Field {
  name: string;
  schema: Schema;
  description?: string;
}
export interface ObjectSchema {
  '@type': 'Object';
  fields: Field[];
}
export interface ArraySchema {
  '@type': 'Array';
  elementSchema: Schema;
}
export interface MapSchema {
  '@type': 'Map';
  mapKey: { name: string; schema: 'string' };
  mapValue: { name: string; schema: Schema };
}
export interface EnumSchema {
  '@type': 'Enum';
  valueSchema: 'string';
  enumValues: Array<{ name: string; enumValue: string }>;
}

/** A schema, or a schema with the description the tools show beside it. */
export type Described = Schema | { schema: Schema; description: string };

/** An Object with one field per key of T, in the order written. */
export function object<T>(fields: { [K in keyof T]-?: Described }): ObjectSchema {
  return { '@type': 'Object', fields: Object.entries(fields as Record<string, Described>).map(([name, spec]) => ({ name, ...described(spec) })) };
}

export function array(elementSchema: Schema): ArraySchema {
  return { '@type': 'Array', elementSchema };
}

/** A Map from string keys (`key` names them for the reader) to values of one schema. */
export function map(key: string, value: string, schema: Schema): MapSchema {
  return { '@type': 'Map', mapKey: { name: key, schema: 'string' }, mapValue: { name: value, schema } };
}

/** A string Enum of these values; each value's DTDL name is the value with what a name cannot hold as `_`. */
export function enumOf(values: readonly string[]): EnumSchema {
  return { '@type': 'Enum', valueSchema: 'string', enumValues: values.map((value) => ({ name: enumName(value), enumValue: value })) };
}

/** `values`, held to be every member of the union T: one left out is a type error. */
export function every<T extends string>() {
  return <const V extends readonly T[]>(values: V & ([T] extends [V[number]] ? unknown : never)): V => values;
}

export interface Content {
  '@type': 'Property' | 'Telemetry' | 'Command' | 'Component';
  name: string;
  [key: string]: unknown;
}

export function property(name: string, spec: Described, writable = false): Content {
  return { '@type': 'Property', name, ...described(spec), ...(writable ? { writable: true } : {}) };
}

export function telemetry(name: string, spec: Described): Content {
  return { '@type': 'Telemetry', name, ...described(spec) };
}

export function component(name: string, schema: string, description: string): Content {
  return { '@type': 'Component', name, schema, description };
}

/** A Command; request and response are payload schemas named for the reader. */
export function command(name: string, description: string, payloads: { request?: [string, Schema]; response?: [string, Schema] }): Content {
  const payload = (p: [string, Schema] | undefined) => p && { name: p[0], schema: p[1] };
  return { '@type': 'Command', name, description, ...(payloads.request ? { request: payload(payloads.request) } : {}), ...(payloads.response ? { response: payload(payloads.response) } : {}) };
}

export interface Interface {
  '@context': 'dtmi:dtdl:context;2';
  '@id': string;
  '@type': 'Interface';
  displayName: string;
  description: string;
  contents: Content[];
}

export function iface(id: string, displayName: string, description: string, contents: Content[]): Interface {
  return { '@context': 'dtmi:dtdl:context;2', '@id': id, '@type': 'Interface', displayName, description, contents };
}

/**
 * Where a models repository keeps an interface: `dtmi:com:example:Thermostat;1` → `dtmi/com/example/thermostat-1.json`
 * (https://github.com/Azure/iot-plugandplay-models-tools/wiki/Resolution-Convention).
 */
export function repositoryPath(id: string): string {
  return `${id.toLowerCase().replace(/:/g, '/').replace(';', '-')}.json`;
}

function described(spec: Described): { schema: Schema; description?: string } {
  return typeof spec === 'object' && 'schema' in spec ? { schema: spec.schema, description: spec.description } : { schema: spec };
}

/** DTDL names: a letter first, then letters, digits and `_`, not ending with `_`. */
function enumName(value: string): string {
  return value.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '');
}
