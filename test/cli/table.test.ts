// check's table: one row per target and port with its step times and what answered the service exchange,
// then the reasons, the notes and the device's clock.
import { describe, expect, it } from 'vitest';
import { formatTable } from '../../src/cli/table.js';
import {
  healthyTarget,
  mismatchAcrTarget,
  PROXY_URL,
  proxiedTarget,
  publicBlobTarget,
  runOf,
} from '../report/factory.js';

const rowOf = (table: string, start: string) => table.split('\n').find((l) => l.startsWith(start))!;

describe('check table', () => {
  const hub = healthyTarget('hub');
  const table = formatTable(
    runOf([hub, mismatchAcrTarget('acr'), publicBlobTarget('blob')], { clock: { offsetSeconds: 0.2, source: 'hub' } }),
  );

  it("ends each port's row with the exchange's protocol, outcome and what answered", () => {
    expect(table.split('\n')[0]).toMatch(/TCP\s+TLS\s+Service\s+.*ANSWER$/);
    expect(rowOf(table, 'hub') + '\n').toMatch(/\b3ms\s+21ms\s+4ms\s+.*mqtt ok CONNACK 5\n/);
    expect(table).toMatch(/\b443 .*https ok HTTP 401 iothub-errorcode\n/);
    // Stopped by the failed handshake: skipped, with no time; never connected to (DNS): not tried.
    expect(rowOf(table, 'acr')).toMatch(/TLS_HOSTNAME_MISMATCH .*21ms\s+-\s+.*skipped$/);
    expect(rowOf(table, 'blob')).toMatch(/DNS_PUBLIC_ADDRESS .*-\s+not tried$/);
  });

  it('says after the table how far the clock is off and whose answer told, before the overall line', () => {
    const lines = table.trimEnd().split('\n');
    expect(lines.at(-2)).toBe("clock: +0.2 s against hub's HTTPS Date (this device is behind)");
    expect(lines.at(-1)).toMatch(/^overall /);
    const skewed = formatTable(runOf([hub], { clock: { offsetSeconds: 400, source: 'hub' } }));
    expect(skewed).toContain(
      "clock: +400 s against hub's HTTPS Date (this device is behind): over the 300 s limit, SAS tokens are rejected; sync the clock with NTP",
    );
    expect(formatTable(runOf([hub]))).not.toContain('clock:');
  });

  it('shows a proxied port as two rows, the runtime path through the proxy and then the direct one, and names the proxy', () => {
    const run = runOf([proxiedTarget('hub'), proxiedTarget('dps', 'auth-required'), proxiedTarget('acr', 'bypassed')]);
    const lines = formatTable(run).split('\n');
    const rows = (name: string) => lines.filter((l) => l.startsWith(`${name} `));
    expect(rows('hub')).toHaveLength(4);
    // The tunnel's times under TLS and Service, the CONNECT's under Proxy; the direct path's own beside it.
    expect(rows('hub')[2]).toMatch(
      / 443 via proxy\s+healthy\s+OK .*\s-\s+25ms\s+6ms\s+7ms\s+https ok HTTP 401 iothub-errorcode$/,
    );
    expect(rows('hub')[3]).toMatch(/ 443 direct\s+unhealthy\s+TCP_REFUSED .*\s1ms\s+-\s+-\s+-\s+-$/);
    expect(rows('dps')[2]).toMatch(/ 443 via proxy\s+unhealthy\s+PROXY_AUTH_REQUIRED .*\s3ms\s+CONNECT 407$/);
    expect(rows('dps')[3]).toMatch(/ 443 direct\s+unhealthy\s+TCP_REFUSED /);
    // NO_PROXY: one row, the direct path's, and it says why.
    expect(rows('acr')).toHaveLength(3);
    expect(rows('acr')[2]).toMatch(/ 443 no_proxy\s+healthy\s+OK .*https ok HTTP 401 iothub-errorcode$/);
    expect(lines).toContain(
      `proxy: ${PROXY_URL}: 443 goes through it as the runtime's upstream does ("via proxy" decides, "direct" beside it)`,
    );
  });

  it('names the proxy the settings gave even when no port met it, and none without one', () => {
    const hub = runOf([healthyTarget('hub')]);
    expect(formatTable(hub, { proxy: PROXY_URL })).toContain(`proxy: ${PROXY_URL}: `);
    expect(formatTable(hub)).not.toContain('proxy:');
  });
});
