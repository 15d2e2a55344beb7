// The IoT Edge artefacts: module.json (iotedgedev / VS Code conventions), the deployment template, the
// layered deployment and its config.toml opt-in. Held to the package, to what edgeAgent 1.1 and edgeHub 1.2
// accept, to the outputs the module writes and to the module's own validator.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateDesired } from '../../src/config/validate.js';
import { DEFAULT_CONFIG_TOML_PATH } from '../../src/edge/read.js';
import { ALERTS_OUTPUT } from '../../src/module/module.js';
import { describeName } from '../../src/probe/catalogue.js';
import { reportedSections } from '../../src/report/reported.js';
import { healthyTarget, publicBlobTarget, runOf } from '../report/factory.js';
import { ROOT } from './dockerfile.js';
import { moduleQuery, type ModuleTwin } from './twin-query.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const read = (file: string): Json => JSON.parse(readFileSync(path.join(ROOT, file), 'utf8')) as Json;
const pkg = read('package.json');
const moduleJson = read('module.json');
const template = read('deployment.template.json');
const layered = read('deployment.layered.json');
const bind = read('deployment.config-toml-bind.json');

const MODULE = 'PrivateLinkProbe';
/** What the tools (iotedgedev, VS Code) fill in from .env, and what they resolve from module.json. */
const PLACEHOLDERS = [
  'CONTAINER_REGISTRY_SERVER',
  'CONTAINER_REGISTRY_USERNAME',
  'CONTAINER_REGISTRY_PASSWORD',
  'EDGE_RUNTIME_VERSION',
  'MODULEDIR<.>',
];
const READ_ONLY_CONFIG_TOML = `/etc/aziot/config.toml:${DEFAULT_CONFIG_TOML_PATH}:ro`;
// Twin string values were limited to 512 bytes: the tools split createOptions into 512-character chunks,
// createOptions, createOptions01, ... and refuse more than 8 of them (4 KB).
const CHUNK = 512;
const MAX_CHUNKS = 8;

const agentOf = (m: Json): Json => m.modulesContent.$edgeAgent['properties.desired'];
const hubOf = (m: Json): Json => m.modulesContent.$edgeHub['properties.desired'];
const layeredContent = (m: Json): Json => m.content.modulesContent;
const layeredModule = (m: Json): Json => layeredContent(m).$edgeAgent[`properties.desired.modules.${MODULE}`];

/** The deployment manifest the tools generate from the template: placeholders filled, createOptions chunked. */
function generate(t: Json): Json {
  const values: Record<string, string> = {
    CONTAINER_REGISTRY_SERVER: 'contosoacr.azurecr.io',
    CONTAINER_REGISTRY_USERNAME: 'contosoacr',
    CONTAINER_REGISTRY_PASSWORD: 'password-from-dot-env',
    EDGE_RUNTIME_VERSION: '1.5',
    'MODULEDIR<.>': `contosoacr.azurecr.io/privatelink-probe:${moduleJson.image.tag.version}-amd64`,
  };
  const text = JSON.stringify(t).replace(/\$\{([^}]+)\}/g, (whole, name: string) => values[name] ?? whole);
  const manifest = JSON.parse(text) as Json;
  delete manifest['$schema-template'];
  const agent = agentOf(manifest);
  for (const module of [...Object.values(agent.systemModules), ...Object.values(agent.modules)] as Json[]) {
    const options = JSON.stringify(module.settings.createOptions);
    delete module.settings.createOptions;
    for (let i = 0; i * CHUNK < options.length; i++)
      module.settings[i === 0 ? 'createOptions' : `createOptions${String(i).padStart(2, '0')}`] = options.slice(
        i * CHUNK,
        (i + 1) * CHUNK,
      );
  }
  return manifest;
}

// What edgeAgent's deployment schema 1.1 requires of a module entry (the az CLI validates against it).
const MODULE_KEYS = [
  'version',
  'type',
  'status',
  'restartPolicy',
  'env',
  'settings',
  'imagePullPolicy',
  'startupOrder',
];
function expectValidModule(name: string, m: Json, required = ['type', 'status', 'restartPolicy', 'settings']): void {
  expect(name).toMatch(/^[a-zA-Z0-9_-]+$/);
  expect(
    Object.keys(m).filter((k) => !MODULE_KEYS.includes(k)),
    `${name}: unknown keys`,
  ).toEqual([]);
  for (const key of required) expect(m[key], `${name}.${key}`).toBeDefined();
  expect(m.type).toBe('docker');
  if (m.status !== undefined) expect(['running', 'stopped']).toContain(m.status);
  if (m.restartPolicy !== undefined)
    expect(['never', 'on-failure', 'on-unhealthy', 'always']).toContain(m.restartPolicy);
  expect(typeof m.settings.image).toBe('string');
  for (const [key, value] of Object.entries(m.settings as Json)) {
    if (key === 'image') continue;
    expect(key).toMatch(/^createOptions(\d\d)?$/);
    expect(typeof value, `${name}.settings.${key} must be a JSON string`).toBe('string');
    expect((value as string).length).toBeLessThanOrEqual(CHUNK);
  }
  const chunks = Object.keys(m.settings as Json)
    .filter((k) => k.startsWith('createOptions'))
    .sort();
  expect(chunks.length).toBeLessThanOrEqual(MAX_CHUNKS);
  if (chunks.length > 0) JSON.parse(chunks.map((k) => m.settings[k] as string).join(''));
  for (const [key, variable] of Object.entries((m.env ?? {}) as Json)) {
    expect(key).toMatch(/^[^+#$\s.]+$/);
    expect(Object.keys(variable as Json)).toEqual(['value']);
    expect(['string', 'number', 'boolean']).toContain(typeof variable.value);
  }
}

/** `FROM /messages/modules/<module>/outputs/<output> INTO $upstream` → module and output. */
function routeSource(route: string): { module: string; output: string } {
  const m = /^FROM \/messages\/modules\/([^/\s]+)\/outputs\/([^/\s]+) INTO \$upstream$/.exec(route);
  if (!m) throw new Error(`not a module-output-to-upstream route: ${route}`);
  return { module: m[1]!, output: m[2]! };
}

/** The outputs the module writes under the example desired properties: results (configurable) and alerts. */
function outputsFor(desired: Json): string[] {
  const result = validateDesired(desired);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return [result.config.telemetry.output, ALERTS_OUTPUT].sort();
}

describe('module.json', () => {
  it('follows the iotedgedev / VS Code module conventions', () => {
    expect(moduleJson['$schema-version']).toBe('0.0.1');
    expect(moduleJson.image.repository).toBe('${CONTAINER_REGISTRY_SERVER}/privatelink-probe');
    expect(moduleJson.image.contextPath).toBe('.');
    expect(moduleJson.image.buildOptions).toEqual([]);
  });

  it("has package.json's version as the image tag version", () => {
    expect(moduleJson.image.tag.version).toBe(pkg.version);
  });
});

describe('deployment.template.json', () => {
  const manifest = generate(template);

  it('is a 4.0.0 template for edgeAgent schema 1.1 and edgeHub schema 1.2', () => {
    expect(template['$schema-template']).toBe('4.0.0');
    expect(agentOf(template).schemaVersion).toBe('1.1');
    expect(hubOf(template).schemaVersion).toBe('1.2');
  });

  it('uses only the placeholders the tools fill in', () => {
    const used = [...JSON.stringify(template).matchAll(/\$\{([^}]+)\}/g)].map((m) => m[1]!);
    expect([...new Set(used)].sort()).toEqual([...PLACEHOLDERS].sort());
  });

  it('takes the runtime version from one placeholder and registry credentials from placeholders', () => {
    const system = agentOf(template).systemModules;
    expect(system.edgeAgent.settings.image).toBe('mcr.microsoft.com/azureiotedge-agent:${EDGE_RUNTIME_VERSION}');
    expect(system.edgeHub.settings.image).toBe('mcr.microsoft.com/azureiotedge-hub:${EDGE_RUNTIME_VERSION}');
    expect(Object.values(agentOf(template).runtime.settings.registryCredentials)).toEqual([
      {
        address: '${CONTAINER_REGISTRY_SERVER}',
        username: '${CONTAINER_REGISTRY_USERNAME}',
        password: '${CONTAINER_REGISTRY_PASSWORD}',
      },
    ]);
  });

  it("builds the module's image from the module.json beside it (the tools' MODULEDIR placeholder)", () => {
    expect(agentOf(template).modules[MODULE].settings.image).toBe('${MODULEDIR<.>}');
    expect(existsSync(path.join(ROOT, 'module.json'))).toBe(true);
  });

  it('generates a manifest edgeAgent accepts: system modules, the module, createOptions within 4 KB', () => {
    const agent = agentOf(manifest);
    expect(agent.runtime.type).toBe('docker');
    for (const [name, credential] of Object.entries(agent.runtime.settings.registryCredentials as Json)) {
      expect(name).toMatch(/^[^.$# ]+$/);
      expect(Object.keys(credential as Json).sort()).toEqual(['address', 'password', 'username']);
    }
    expectValidModule('edgeAgent', agent.systemModules.edgeAgent, ['type', 'settings']);
    expectValidModule('edgeHub', agent.systemModules.edgeHub);
    expect(Object.keys(agent.modules)).toEqual([MODULE]);
    expectValidModule(MODULE, agent.modules[MODULE]);
  });

  it('keeps the minified createOptions of every module within 4 KB', () => {
    const agent = agentOf(template);
    for (const module of [...Object.values(agent.systemModules), ...Object.values(agent.modules)] as Json[]) {
      expect(Buffer.byteLength(JSON.stringify(module.settings.createOptions))).toBeLessThanOrEqual(CHUNK * MAX_CHUNKS);
    }
  });

  it('runs the module always, with its metrics port set and no host port published', () => {
    const module = agentOf(template).modules[MODULE];
    expect(module).toMatchObject({
      status: 'running',
      restartPolicy: 'always',
      env: { METRICS_PORT: { value: '9600' } },
    });
    const options = module.settings.createOptions;
    expect(options.HostConfig.PortBindings).toBeUndefined();
    expect(options.HostConfig.PublishAllPorts).toBeUndefined();
  });

  it('does not mount config.toml by default: it can hold provisioning secrets', () => {
    expect(JSON.stringify(template)).not.toContain('config.toml');
  });

  it('publishes the usual edgeHub ports', () => {
    const bindings = agentOf(template).systemModules.edgeHub.settings.createOptions.HostConfig.PortBindings;
    expect(bindings).toEqual({
      '5671/tcp': [{ HostPort: '5671' }],
      '8883/tcp': [{ HostPort: '8883' }],
      '443/tcp': [{ HostPort: '443' }],
    });
  });

  it("routes exactly the module's outputs to $upstream, kept 2 hours while offline", () => {
    const hub = hubOf(template);
    const sources = Object.values(hub.routes as Record<string, string>).map(routeSource);
    expect(sources.every((s) => s.module === MODULE)).toBe(true);
    expect(sources.map((s) => s.output).sort()).toEqual(
      outputsFor(template.modulesContent[MODULE]['properties.desired']),
    );
    for (const name of Object.keys(hub.routes as Json)) expect(name).toMatch(/^[^.$# ]+$/);
    expect(hub.storeAndForwardConfiguration).toEqual({ timeToLiveSecs: 7200 });
  });

  it("has example desired properties that pass the module's own validator", () => {
    const desired = template.modulesContent[MODULE]['properties.desired'];
    const result = validateDesired(desired);
    expect(result.ok ? [] : result.errors).toEqual([]);
  });

  it('names hub, DPS, ACR login server and data endpoint, and Blob in their privatelink form', () => {
    const targets = template.modulesContent[MODULE]['properties.desired'].targets as Record<string, { host: string }>;
    const names = Object.values(targets).map((t) => describeName(t.host));
    expect(names.every((n) => n.form === 'privatelink')).toBe(true);
    expect(names.map((n) => n.kind).sort()).toEqual(['acr', 'acrData', 'blob', 'dps', 'iothub']);
  });
});

describe('deployment.layered.json', () => {
  it('is layered deployment content: only the module, its routes and its desired properties', () => {
    const content = layeredContent(layered);
    expect(Object.keys(content).sort()).toEqual(['$edgeAgent', '$edgeHub', MODULE].sort());
    expect(Object.keys(content.$edgeAgent)).toEqual([`properties.desired.modules.${MODULE}`]);
    for (const key of Object.keys(content.$edgeHub)) expect(key).toMatch(/^properties\.desired\.routes\.[^.$# ]+$/);
    expect(Object.keys(content[MODULE])).toEqual(['properties.desired']);
  });

  it('declares the module as the template does, deployable as is: createOptions as a JSON string', () => {
    const module = layeredModule(layered);
    expectValidModule(MODULE, module);
    const { settings, ...rest } = agentOf(template).modules[MODULE];
    expect(module).toEqual({
      ...rest,
      settings: { image: module.settings.image, createOptions: JSON.stringify(settings.createOptions) },
    });
  });

  it("pulls the registry's multi-platform image of package.json's version", () => {
    expect(layeredModule(layered).settings.image).toBe(
      `\${CONTAINER_REGISTRY_SERVER}/privatelink-probe:${pkg.version}`,
    );
  });

  it('has the routes and the desired properties of the template', () => {
    const content = layeredContent(layered);
    const routes = Object.fromEntries(
      Object.entries(content.$edgeHub as Json).map(([k, v]) => [k.slice('properties.desired.routes.'.length), v]),
    );
    expect(routes).toEqual(hubOf(template).routes);
    expect(content[MODULE]).toEqual(template.modulesContent[MODULE]);
  });
});

describe('deployment.layered.json fleet counts (metrics.queries)', () => {
  const queries = layered.metrics.queries as Record<string, string>;
  /** The module twin of a device whose module has written its sections after a run with these targets. */
  const reportedAfter = (targets: Parameters<typeof runOf>[0]): ModuleTwin => ({
    moduleId: MODULE,
    reported: {
      ...reportedSections(runOf(targets), {
        edge: null,
        moduleVersion: pkg.version,
        nextRunAt: '2026-11-28T09:05:00.000Z',
        runCount: 1,
      }),
    },
  });
  const twins: Record<string, ModuleTwin> = {
    healthy: reportedAfter([healthyTarget()]),
    degraded: reportedAfter([healthyTarget('hub', undefined, { status: 'degraded', code: 'SLOW' })]),
    unhealthy: reportedAfter([healthyTarget(), publicBlobTarget()]),
    // Deployed, and its twin read, but no run has completed: only the acknowledgement is there.
    noReportYet: { moduleId: MODULE, reported: { intervalSeconds: { value: 300, ac: 200, av: 2, ad: 'applied' } } },
  };

  it('counts devices by the verdict their module reports, and those with no report yet', () => {
    expect(Object.keys(queries)).toEqual(['healthy', 'degraded', 'unhealthy', 'noReportYet']);
  });

  it('puts each device in exactly one count, read from the status section the module writes', () => {
    const selects = Object.fromEntries(Object.entries(queries).map(([name, query]) => [name, moduleQuery(query)]));
    for (const [expected, twin] of Object.entries(twins)) {
      const matched = Object.keys(selects).filter((name) => selects[name]!(twin));
      expect(matched, expected).toEqual([expected]);
    }
    // Another module's twin on the same device is never counted.
    const agent = { moduleId: '$edgeAgent', reported: twins.unhealthy!.reported };
    expect(Object.values(selects).some((select) => select(agent))).toBe(false);
  });
});

describe('deployment.config-toml-bind.json (the opt-in)', () => {
  it('is a layer that re-declares only the module', () => {
    expect(Object.keys(layeredContent(bind))).toEqual(['$edgeAgent']);
    expect(Object.keys(layeredContent(bind).$edgeAgent)).toEqual([`properties.desired.modules.${MODULE}`]);
  });

  it('is the layered module plus exactly one read-only bind of config.toml where the module reads it', () => {
    const module = layeredModule(bind);
    expectValidModule(MODULE, module);
    const options = JSON.parse(module.settings.createOptions as string) as Json;
    expect(options.HostConfig.Binds).toEqual([READ_ONLY_CONFIG_TOML]);
    delete options.HostConfig.Binds;
    const base = layeredModule(layered);
    expect(options).toEqual(JSON.parse(base.settings.createOptions as string));
    expect({ ...module, settings: { ...module.settings, createOptions: undefined } }).toEqual({
      ...base,
      settings: { ...base.settings, createOptions: undefined },
    });
  });
});
