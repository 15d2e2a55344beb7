import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseModuleEnv } from '../../src/edge/module-env.js';
import { connectionStringIdentity, proxyWithoutCredentials } from '../../src/edge/redact.js';
import { parseUpstreamProtocol, upstreamPorts } from '../../src/edge/upstream-protocol.js';
import { CANARY, toJson } from './support.js';

describe('parseModuleEnv', () => {
  it('reads the IoT Edge runtime variables a module is given', () => {
    const env = parseModuleEnv({
      IOTEDGE_IOTHUBHOSTNAME: 'MyHub.privatelink.azure-devices.net',
      IOTEDGE_GATEWAYHOSTNAME: 'edge-01.factory.local',
      IOTEDGE_DEVICEID: 'edge-01',
      IOTEDGE_MODULEID: 'PrivateLinkProbe',
      IOTEDGE_WORKLOADURI: 'unix:///var/run/iotedge/workload.sock',
      UpstreamProtocol: 'amqpws',
    });
    expect(env).toEqual({
      iothubHostname: 'myhub.privatelink.azure-devices.net',
      iothubHostnameFrom: 'IOTEDGE_IOTHUBHOSTNAME',
      gatewayHostname: 'edge-01.factory.local',
      deviceId: 'edge-01',
      moduleId: 'PrivateLinkProbe',
      upstreamProtocol: 'AmqpWs',
      invalidFields: [],
    });
  });

  it('takes the hub and gateway from EdgeHubConnectionString, never its key', () => {
    const env = parseModuleEnv({
      EdgeHubConnectionString: `HostName=myhub.azure-devices.net;GatewayHostName=127.0.0.1;DeviceId=edge-01;ModuleId=probe;SharedAccessKey=${CANARY}`,
    });
    expect(env).toMatchObject({
      iothubHostname: 'myhub.azure-devices.net',
      iothubHostnameFrom: 'EdgeHubConnectionString',
      gatewayHostname: '127.0.0.1',
      deviceId: 'edge-01',
      moduleId: 'probe',
    });
    expect(toJson(env)).not.toContain(CANARY);
  });

  it('prefers IOTEDGE_IOTHUBHOSTNAME over a connection string and keeps a gateway port', () => {
    const env = parseModuleEnv({
      IotHubConnectionString: `HostName=other.azure-devices.net;DeviceId=d;SharedAccessKey=${CANARY}`,
      IOTEDGE_IOTHUBHOSTNAME: 'myhub.azure-devices.net',
      IOTEDGE_GATEWAYHOSTNAME: '127.0.0.1:18883',
    });
    expect(env.iothubHostname).toBe('myhub.azure-devices.net');
    expect(env.gatewayHostname).toBe('127.0.0.1:18883');
  });

  it('strips proxy credentials and reads IOTEDGE_PARENTHOSTNAME', () => {
    const env = parseModuleEnv({
      HTTPS_PROXY: `http://operator:${CANARY}@10.0.0.8:8080/`,
      IOTEDGE_PARENTHOSTNAME: 'edge-parent.factory.local',
    });
    expect(env.proxy).toEqual({ url: 'http://10.0.0.8:8080' });
    expect(env.parentHostname).toBe('edge-parent.factory.local');
    expect(toJson(env)).not.toContain(CANARY);
  });

  it('names variables that hold no hostname without keeping their values', () => {
    const env = parseModuleEnv({ IOTEDGE_IOTHUBHOSTNAME: `<hub>${CANARY}`, EdgeHubConnectionString: CANARY });
    expect(env.invalidFields).toEqual(['EdgeHubConnectionString HostName', 'IOTEDGE_IOTHUBHOSTNAME']);
    expect(env.iothubHostname).toBeUndefined();
    expect(toJson(env)).not.toContain(CANARY);
  });

  it('never throws and never keeps a planted secret, whatever the variables hold', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 30 }), fc.string({ maxLength: 80 })), (env) => {
        parseModuleEnv(env);
      }),
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (suffix) => {
        const secret = `${CANARY}${suffix}`;
        const env = parseModuleEnv({
          EdgeHubConnectionString: `HostName=h.azure-devices.net;DeviceId=d;SharedAccessKey=${secret}`,
          https_proxy: `http://user:${secret}@proxy.factory.local:3128`,
        });
        expect(toJson(env)).not.toContain(CANARY);
      }),
    );
  });
});

describe('connectionStringIdentity', () => {
  it('keeps only the identity keys, with base64 padding in the key untouched', () => {
    expect(
      connectionStringIdentity(`HostName=H.azure-devices.net; DeviceId=dev;SharedAccessKey=${CANARY}==;x509=true`),
    ).toEqual({
      hostName: 'h.azure-devices.net',
      deviceId: 'dev',
      present: ['HostName', 'DeviceId', 'SharedAccessKey'],
      miscased: [],
    });
  });

  it('matches keys as the runtime and the SDK do, case included: lower-case hostname= and deviceid= are not read', () => {
    expect(connectionStringIdentity(`hostname=H.azure-devices.net; deviceid=dev;SharedAccessKey=${CANARY}==`)).toEqual({
      present: ['SharedAccessKey'],
      miscased: ['HostName', 'DeviceId'],
    });
  });
});

describe('proxyWithoutCredentials', () => {
  it.each([
    [`http://user:${CANARY}@proxy.factory.local:3128/`, 'http://proxy.factory.local:3128'],
    ['proxy.factory.local:3128', 'http://proxy.factory.local:3128'],
    ['http://[FD00::8]:8443', 'http://[fd00::8]:8443'],
    [`http://${CANARY}@proxy`, 'http://proxy:80'],
  ])('%s → %s', (raw, url) => {
    expect(proxyWithoutCredentials(raw)).toEqual({ url });
  });

  it('keeps nothing of a value that does not parse into scheme, host and port', () => {
    expect(proxyWithoutCredentials(`http://user:${CANARY}/x@proxy:3128`)).toEqual({});
    expect(proxyWithoutCredentials('http://')).toEqual({});
    // Schemes the probe cannot use as the runtime's proxy: the audit does not show them as one either.
    expect(proxyWithoutCredentials(`https://user:${CANARY}@[fd00::8]:8443`)).toEqual({});
    expect(proxyWithoutCredentials(`socks5://user:${CANARY}@proxy:1080`)).toEqual({});
    // A digits-only password cut short by `?` would otherwise parse as host `op`, port 31337.
    expect(proxyWithoutCredentials('http://op:31337?x@proxy.factory.local:3128')).toEqual({});
  });

  it('never returns any part of the password, whatever characters it has', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), fc.string({ maxLength: 30 }), (before, after) => {
        const result = proxyWithoutCredentials(`http://op:${before}${CANARY}${after}@proxy.factory.local:3128`);
        expect(toJson(result)).not.toContain(CANARY);
      }),
    );
  });
});

describe('upstream protocol', () => {
  it.each([
    ['Amqp', [5671]],
    ['Mqtt', [8883]],
    ['AmqpWs', [443]],
    ['mqttws', [443]],
    [undefined, [5671, 443]],
    ['Http', [5671, 443]],
  ])('UpstreamProtocol %s → ports %j', (value, ports) => {
    expect(upstreamPorts(parseUpstreamProtocol(value))).toEqual(ports);
  });

  it('calls an unknown value unrecognised and a blank one unset', () => {
    expect(parseUpstreamProtocol('Http')).toBe('unrecognised');
    expect(parseUpstreamProtocol('  ')).toBeUndefined();
  });
});
