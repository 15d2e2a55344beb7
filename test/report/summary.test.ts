import { describe, expect, it } from 'vitest';
import { summaryLine } from '../../src/report/summary.js';
import { healthyTarget, mismatchAcrTarget, publicBlobTarget, runOf } from './factory.js';

const expiring = () => ({
  ...healthyTarget('dps', 'global.azure-devices-provisioning.net'),
  status: 'degraded' as const,
  code: 'TLS_EXPIRING' as const,
});

describe('summaryLine', () => {
  it('names each unhealthy target with its code', () => {
    const run = runOf([
      healthyTarget('hub'),
      publicBlobTarget('blob'),
      mismatchAcrTarget('acr'),
      healthyTarget('dps'),
      healthyTarget('eh'),
    ]);
    expect(summaryLine(run)).toBe('2 of 5 targets unhealthy: blob (DNS_PUBLIC_ADDRESS), acr (TLS_HOSTNAME_MISMATCH)');
  });

  it('adds the degraded ones after the unhealthy ones', () => {
    expect(summaryLine(runOf([publicBlobTarget('blob'), expiring()]))).toBe(
      '1 of 2 targets unhealthy: blob (DNS_PUBLIC_ADDRESS); 1 degraded: dps (TLS_EXPIRING)',
    );
  });

  it('names degraded targets when none is unhealthy', () => {
    expect(summaryLine(runOf([healthyTarget('hub'), expiring()]))).toBe('1 of 2 targets degraded: dps (TLS_EXPIRING)');
  });

  it('says all are healthy, or that there are none', () => {
    expect(summaryLine(runOf([healthyTarget('hub'), healthyTarget('dps')]))).toBe('all 2 targets healthy');
    expect(summaryLine(runOf([healthyTarget('hub')]))).toBe('1 target healthy');
    expect(summaryLine(runOf([]))).toBe('no targets configured');
  });
});
