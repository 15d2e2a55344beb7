// The findings that read what the run measured or how the runtime goes out: CLOCK_SKEW from the Date of
// Azure's HTTPS answers, PROXY_WITHOUT_WEBSOCKETS when a proxy cannot carry edgeHub's upstream.
import { describe, expect, it } from 'vitest';
import { overallOf } from '../../src/probe/run.js';
import { healthyTarget, runOf } from '../report/factory.js';
import { audit, findingText, ids, PRIVATE_HUB, runtimeEnv } from './support.js';

describe('CLOCK_SKEW', () => {
  const measured = (offsetSeconds: number) => ({
    ...runOf([healthyTarget('hub')]),
    clock: { offsetSeconds, source: 'hub' },
  });

  it('fires past 300 s either way, as an error that names the direction and NTP', async () => {
    const behind = await audit(
      { config: 'manual-privatelink.toml', env: runtimeEnv(PRIVATE_HUB) },
      'privatelink',
      [],
      measured(3_600.4),
    );
    expect(ids(behind)).toContain('CLOCK_SKEW');
    expect(behind.findings.find((f) => f.id === 'CLOCK_SKEW')?.severity).toBe('error');
    expect(findingText(behind, 'CLOCK_SKEW')).toMatch(/3600 s behind the server time hub's HTTPS answer carried.*NTP/);
    const ahead = await audit(
      { config: 'manual-privatelink.toml', env: runtimeEnv(PRIVATE_HUB) },
      'privatelink',
      [],
      measured(-301),
    );
    expect(findingText(ahead, 'CLOCK_SKEW')).toMatch(/301 s ahead of/);
  });

  it('stays quiet within 300 s, and without a reading', async () => {
    for (const run of [measured(299.9), measured(-300), runOf([healthyTarget('hub')])]) {
      const a = await audit(
        { config: 'manual-privatelink.toml', env: runtimeEnv(PRIVATE_HUB) },
        'privatelink',
        [],
        run,
      );
      expect(ids(a)).not.toContain('CLOCK_SKEW');
    }
  });

  it('makes overall unhealthy while every target is healthy', () => {
    const targets = [healthyTarget('hub')];
    expect(overallOf(targets, { offsetSeconds: 301, source: 'hub' })).toBe('unhealthy');
    expect(overallOf(targets, { offsetSeconds: 12, source: 'hub' })).toBe('healthy');
  });
});

describe('PROXY_WITHOUT_WEBSOCKETS', () => {
  const proxyEnv = (extra: Record<string, string>) =>
    runtimeEnv(PRIVATE_HUB, { https_proxy: 'http://proxy.factory.local:3128', ...extra });

  it('warns when a proxy is set and UpstreamProtocol is unset, Amqp or Mqtt', async () => {
    for (const [extra, said] of [
      [{}, 'is not set'],
      [{ UpstreamProtocol: 'Amqp' }, 'is Amqp'],
      [{ UpstreamProtocol: 'mqtt' }, 'is Mqtt'],
    ] as const) {
      const a = await audit({ config: 'manual-privatelink.toml', env: proxyEnv(extra) });
      expect(a.findings.find((f) => f.id === 'PROXY_WITHOUT_WEBSOCKETS')?.severity).toBe('warning');
      expect(findingText(a, 'PROXY_WITHOUT_WEBSOCKETS')).toContain(`UpstreamProtocol ${said}`);
      expect(findingText(a, 'PROXY_WITHOUT_WEBSOCKETS')).toMatch(/AmqpWs or MqttWs/);
    }
  });

  it('is quiet with AmqpWs or MqttWs, and without a proxy', async () => {
    for (const env of [proxyEnv({ UpstreamProtocol: 'AmqpWs' }), proxyEnv({ UpstreamProtocol: 'MqttWs' })]) {
      expect(ids(await audit({ config: 'manual-privatelink.toml', env }))).not.toContain('PROXY_WITHOUT_WEBSOCKETS');
    }
    // config.toml's agent env sets AmqpWs next to its proxy.
    expect(ids(await audit({ config: 'proxy.toml', env: runtimeEnv(PRIVATE_HUB) }))).not.toContain(
      'PROXY_WITHOUT_WEBSOCKETS',
    );
    expect(ids(await audit({ config: 'manual-privatelink.toml', env: runtimeEnv(PRIVATE_HUB) }))).not.toContain(
      'PROXY_WITHOUT_WEBSOCKETS',
    );
  });
});
