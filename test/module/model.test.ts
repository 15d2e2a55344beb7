// The IoT Plug and Play model. model/ holds what src/model builds (after a change there: `npm run model`), and
// Microsoft's DTDL parser (DTDLParser compiled to WebAssembly, from the npm registry) accepts it — and refuses a
// copy broken the two ways the model is shaped to avoid.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { getInterop, type ParsingError } from '@digicatapult/dtdl-parser';
import { beforeAll, describe, expect, it } from 'vitest';
import { DESIRED_KEYS } from '../../src/config/model.js';
import { repositoryPath, type Content, type Interface } from '../../src/model/dtdl.js';
import { MESSAGES_COMPONENT, MESSAGES_INTERFACE_ID } from '../../src/model/ids.js';
import { modelInterfaces } from '../../src/model/interfaces.js';
import { MODEL_ID } from '../../src/main.js';
import { CODE_STATUS } from '../../src/probe/types.js';
import { RESULT_BODY_KEYS } from '../report/factory.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const [root, messages] = modelInterfaces() as [Interface, Interface];

/** Every `.json` under model/, relative to the repository. */
function modelFiles(dir = path.join(ROOT, 'model')): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? modelFiles(path.join(dir, entry.name))
      : entry.name.endsWith('.json')
        ? [path.relative(ROOT, path.join(dir, entry.name))]
        : [],
  );
}

type Parsed = { ok: true } | { ok: false; errors: ParsingError[] };
let parse: (interfaces: Interface[]) => Parsed;

beforeAll(async () => {
  const parser = await getInterop();
  parse = (interfaces) => {
    try {
      parser.parse(JSON.stringify(interfaces));
      return { ok: true };
    } catch (e) {
      // The parser throws an Error whose message is the ModelingException as JSON.
      return { ok: false, errors: (JSON.parse((e as Error).message) as { Errors: ParsingError[] }).Errors };
    }
  };
});

const named = (i: Interface, name: string): Content => i.contents.find((c) => c.name === name)!;

describe('the Plug and Play model in model/', () => {
  it('is what src/model builds, one file per interface where a models repository keeps it', async () => {
    for (const i of [root, messages])
      await expect(JSON.stringify(i, null, 2) + '\n').toMatchFileSnapshot(
        path.join(ROOT, 'model', repositoryPath(i['@id'])),
      );
    expect(modelFiles().sort()).toEqual(
      [root, messages].map((i) => path.join('model', repositoryPath(i['@id']))).sort(),
    );
  });

  it('is DTDL v2: the announced model, with the messages component that the output messages name in $.sub', () => {
    expect([root, messages].map((i) => i['@context'])).toEqual(['dtmi:dtdl:context;2', 'dtmi:dtdl:context;2']);
    expect(root['@id']).toBe(MODEL_ID);
    expect(named(root, MESSAGES_COMPONENT)).toMatchObject({ '@type': 'Component', schema: MESSAGES_INTERFACE_ID });
  });

  it('declares the desired keys as writable properties, the reported sections, the telemetry in the component and the three commands', () => {
    const of = (i: Interface, type: string) => i.contents.filter((c) => c['@type'] === type);
    expect(
      of(root, 'Property')
        .filter((c) => c.writable)
        .map((c) => c.name),
    ).toEqual([...DESIRED_KEYS]);
    expect(
      of(root, 'Property')
        .filter((c) => !c.writable)
        .map((c) => c.name),
    ).toEqual(['status', 'results', 'edge', 'unknownKeys']);
    expect(of(root, 'Telemetry')).toEqual([]);
    expect(of(messages, 'Telemetry').map((c) => c.name)).toEqual([
      ...RESULT_BODY_KEYS,
      ...['target', 'host', 'from', 'to', 'code', 'reason', 'at'],
    ]);
    expect(of(root, 'Command').map((c) => [c.name, Boolean(c.request), Boolean(c.response)])).toEqual([
      ['runNow', false, true],
      ['getStatus', false, true],
      ['probe', true, true],
    ]);
  });

  it('lists every verdict code wherever a code is sent', () => {
    const codeEnums = [...JSON.stringify([root, messages]).matchAll(/"enumValues":(\[[^\]]*\])/g)]
      .map((m) => (JSON.parse(m[1]!) as Array<{ enumValue: string }>).map((v) => v.enumValue))
      .filter((values) => values.includes('DNS_PUBLIC_ADDRESS'));
    // targets, ports, flapping.measured, alerts; the twin's results, their ports and measured; the history in getStatus; three responses.
    expect(codeEnums.length).toBeGreaterThanOrEqual(8);
    for (const values of codeEnums) expect(values).toEqual(Object.keys(CODE_STATUS));
  });
});

describe("Microsoft's DTDL parser", () => {
  it('accepts the model', () => {
    expect(parse([root, messages])).toEqual({ ok: true });
  });

  it('refuses a copy with the telemetry in the root interface, where targets and edge are already properties', () => {
    const broken = { ...root, contents: [...root.contents, named(messages, 'targets'), named(messages, 'edge')] };
    const result = parse([broken, messages]);
    expect(result.ok).toBe(false);
    expect(result.ok || result.errors.map((e) => [e.ValidationID, e.Value])).toEqual([
      ['dtmi:dtdl:parsingError:nonUniquePropertyValue', 'targets'],
      ['dtmi:dtdl:parsingError:nonUniquePropertyValue', 'edge'],
    ]);
  });

  it("refuses a copy with the ports inside the targets, as result@1 had them: schemas nest 6 levels deep, DTDL's limit is 5", () => {
    const deep = structuredClone(messages);
    const target = (named(deep, 'targets').schema as { elementSchema: { fields: unknown[] } }).elementSchema;
    target.fields.push({ name: 'ports', schema: named(deep, 'ports').schema });
    const result = parse([root, deep]);
    expect(result.ok).toBe(false);
    expect(result.ok || result.errors.map((e) => e.ValidationID)).toEqual([
      'dtmi:dtdl:parsingError:excessiveDepthWide',
    ]);
  });
});
