import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DESIRED_KEYS } from '../../src/config/model.js';
import { MODEL_ID } from '../../src/main.js';

type Content = { '@type': string; name: string; writable?: boolean };
const model = JSON.parse(readFileSync(new URL('../../model/PrivateLinkProbe.json', import.meta.url), 'utf8')) as { '@context': string; '@id': string; contents: Content[] };

describe('the DTDL model shipped with the module', () => {
  it('is the DTDL v3 interface the module announces', () => {
    expect(model['@context']).toBe('dtmi:dtdl:context;3');
    expect(model['@id']).toBe(MODEL_ID);
  });

  it('declares every desired key as a writable property, the reported sections, both outputs and the three commands', () => {
    const of = (type: string) => model.contents.filter((c) => c['@type'] === type);
    expect(of('Property').filter((c) => c.writable).map((c) => c.name).sort()).toEqual([...DESIRED_KEYS].sort());
    expect(of('Property').filter((c) => !c.writable).map((c) => c.name).sort()).toEqual(['edge', 'results', 'status']);
    expect(of('Telemetry').map((c) => c.name).sort()).toEqual(['alerts', 'probeResults']);
    expect(of('Command').map((c) => c.name).sort()).toEqual(['getStatus', 'probe', 'runNow']);
  });
});
