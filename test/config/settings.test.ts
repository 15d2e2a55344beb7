// The settings pipeline: defaults, then each layer in order, a later layer winning for what it sets.
import { describe, expect, it } from 'vitest';
import { layerSettings } from '../../src/config/settings.js';
import { validateDesired } from '../../src/config/validate.js';
import { DEFAULT_SETTINGS } from '../../src/probe/defaults.js';

const desired = (doc: Record<string, unknown>) => {
  const result = validateDesired(doc);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.config.explicit;
};

describe('layerSettings', () => {
  it('is the defaults without layers, in copies the caller may change', () => {
    const settings = layerSettings();
    expect(settings).toEqual(DEFAULT_SETTINGS);
    settings.privateRanges.push('1.2.3.0/24');
    expect(DEFAULT_SETTINGS.privateRanges).not.toContain('1.2.3.0/24');
  });

  it('lets the desired layer win over the environment only for what the desired properties set', () => {
    const environment = { dnsServers: ['10.0.0.4:53'], systemDns: false, caPem: 'PEM' };
    expect(layerSettings(environment, desired({ timeoutMs: 2000 }))).toMatchObject({
      dnsServers: ['10.0.0.4:53'],
      systemDns: false,
      caPem: 'PEM',
      timeoutMs: 2000,
    });
    expect(layerSettings(environment, desired({ dns: { servers: '10.9.9.9' } }))).toMatchObject({
      dnsServers: ['10.9.9.9:53'],
      systemDns: false,
      caPem: 'PEM',
    });
    expect(layerSettings(environment, desired({ dns: { system: true } }))).toMatchObject({
      dnsServers: ['10.0.0.4:53'],
      systemDns: true,
    });
  });
});
