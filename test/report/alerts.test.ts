import { describe, expect, it } from 'vitest';
import { ALERT_SCHEMA, alertMessage, REMOVED_REASON, verdictChanges } from '../../src/report/alerts.js';
import { healthyTarget, mismatchAcrTarget, publicBlobTarget, runOf, STARTED_AT } from './factory.js';

const LATER = '2026-11-28T09:05:00.000Z';
const first = () => runOf([healthyTarget('hub'), publicBlobTarget('blob')]);

describe('verdictChanges', () => {
  it('on the first run, every target changes from unknown', () => {
    expect(verdictChanges(undefined, first())).toEqual([
      {
        target: 'hub',
        host: 'myhub.privatelink.azure-devices.net',
        from: 'unknown',
        to: 'healthy',
        code: 'OK',
        reason: healthyTarget().reason,
        at: STARTED_AT,
      },
      {
        target: 'blob',
        host: 'factorylogs.blob.core.windows.net',
        from: 'unknown',
        to: 'unhealthy',
        code: 'DNS_PUBLIC_ADDRESS',
        reason: publicBlobTarget().reason,
        at: STARTED_AT,
      },
    ]);
  });

  it('says nothing when no status or code changed, even if timings and reasons did', () => {
    const next = runOf([{ ...healthyTarget('hub'), ms: 999, reason: 'other words' }, publicBlobTarget('blob')], {
      startedAt: LATER,
    });
    expect(verdictChanges(first(), next)).toEqual([]);
  });

  it('reports a status change with the new code and reason at the time of the run that saw it', () => {
    const fixed = { ...healthyTarget('blob', 'factorylogs.privatelink.blob.core.windows.net') };
    const alerts = verdictChanges(first(), runOf([healthyTarget('hub'), fixed], { startedAt: LATER }));
    expect(alerts).toEqual([
      {
        target: 'blob',
        host: fixed.host,
        from: 'unhealthy',
        to: 'healthy',
        code: 'OK',
        reason: fixed.reason,
        at: LATER,
      },
    ]);
  });

  it('reports a code change within the same status', () => {
    const timeout = {
      ...publicBlobTarget('blob'),
      code: 'DNS_TIMEOUT' as const,
      reason: 'the resolver did not answer',
    };
    const alerts = verdictChanges(first(), runOf([healthyTarget('hub'), timeout]));
    expect(alerts).toMatchObject([{ target: 'blob', from: 'unhealthy', to: 'unhealthy', code: 'DNS_TIMEOUT' }]);
  });

  it('counts a newly configured target from unknown', () => {
    const alerts = verdictChanges(
      first(),
      runOf([healthyTarget('hub'), publicBlobTarget('blob'), mismatchAcrTarget('acr')]),
    );
    expect(alerts).toMatchObject([{ target: 'acr', from: 'unknown', to: 'unhealthy', code: 'TLS_HOSTNAME_MISMATCH' }]);
  });

  it('closes a removed target with a last alert to unknown and no code', () => {
    const alerts = verdictChanges(first(), runOf([healthyTarget('hub')], { startedAt: LATER }));
    expect(alerts).toEqual([
      {
        target: 'blob',
        host: 'factorylogs.blob.core.windows.net',
        from: 'unhealthy',
        to: 'unknown',
        reason: REMOVED_REASON,
        at: LATER,
      },
    ]);
    expect(JSON.parse(alertMessage(alerts[0]!, { deviceId: null, moduleId: null }).data)).not.toHaveProperty('code');
  });
});

describe('alertMessage', () => {
  it('is UTF-8 JSON with the alert schema, the ids and the alert, and properties a route can filter on', () => {
    const [alert] = verdictChanges(undefined, runOf([publicBlobTarget('blob')]));
    const message = alertMessage(alert!, { deviceId: 'factory-gw-01', moduleId: 'PrivateLinkProbe' });
    expect(message.contentType).toBe('application/json');
    expect(message.contentEncoding).toBe('utf-8');
    expect(message.properties).toEqual({ schema: 'privatelink-probe/alert@2', to: 'unhealthy' });
    expect(JSON.parse(message.data)).toEqual({
      schema: ALERT_SCHEMA,
      deviceId: 'factory-gw-01',
      moduleId: 'PrivateLinkProbe',
      ...alert,
    });
  });
});
