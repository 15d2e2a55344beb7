// The status page an operator opens on a phone when the cloud link is down: rows, spelled-out verdicts,
// self-contained (no network), and no markup smuggled in through names, reasons or DNS answers.
import { describe, expect, it } from 'vitest';
import { escapeHtml, renderStatusPage } from '../../src/report/status-page.js';
import { edge, NOW, snapshotOf, startingSnapshot, threeVerdictRun, DPS_REASON } from '../http/snapshot-factory.js';
import { healthyTarget, PROXY_URL, proxiedTarget, runOf } from './factory.js';

/** The text of each `<tr class="target">` row, tags stripped and entities decoded. */
function rows(page: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of page.matchAll(/<tr class="target" data-target="([^"]*)"[^>]*>([\s\S]*?)<\/tr>/g))
    out.set(m[1]!, text(m[2]!));
  return out;
}

function text(markup: string): string {
  return markup
    .replace(/<wbr>/g, '')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)))
    .replace(/\s+/g, ' ')
    .trim();
}

describe('status page', () => {
  const page = renderStatusPage(snapshotOf(), { now: NOW });

  it('has one row per target with the verdict spelled out, its code, the reason, the addresses and the last change', () => {
    const r = rows(page);
    expect([...r.keys()]).toEqual(['hub', 'dps', 'acr', 'blob']);
    expect(r.get('hub')).toContain('healthy OK');
    expect(r.get('hub')).toContain('myhub.privatelink.azure-devices.net');
    expect(r.get('hub')).toContain('10.1.1.4 private');
    expect(r.get('hub')).toContain('8883 ok');
    expect(r.get('hub')).toContain('2026-11-28 09:00:00 UTC (5 min ago)');
    expect(r.get('dps')).toContain('degraded TLS_EXPIRING');
    expect(r.get('dps')).toContain(DPS_REASON);
    expect(r.get('dps')).toContain('2026-11-28 08:59:00 UTC (6 min ago)');
    expect(r.get('acr')).toContain('unhealthy TLS_HOSTNAME_MISMATCH');
    expect(r.get('acr')).toContain('443 failed TLS_HOSTNAME_MISMATCH');
    expect(r.get('blob')).toContain('unhealthy DNS_PUBLIC_ADDRESS');
    expect(r.get('blob')).toContain('203.0.113.40 public');
    expect(r.get('blob')).toContain('link the private DNS zone privatelink.blob.core.windows.net');
  });

  it('shows under each port what answered its service exchange, and a blocked or foreign one as a warning', () => {
    const r = rows(page);
    expect(r.get('hub')).toContain('8883 ok OK mqtt ok CONNACK 5');
    expect(r.get('hub')).toContain('443 ok OK https ok HTTP 401 iothub-errorcode');
    // An exchange the failed handshake stopped is not shown: the code says why.
    expect(r.get('acr')).not.toContain('skipped');
    expect(page).toContain('<span class="service">mqtt ok CONNACK 5</span>');

    const hub = healthyTarget();
    const foreign = {
      ...hub.ports[2]!,
      code: 'APP_FOREIGN' as const,
      service: { protocol: 'https' as const, outcome: 'foreign' as const, ms: 9, detail: 'HTTP 200 OK, Server: <b>' },
    };
    const blockPage = renderStatusPage(snapshotOf({ lastRun: runOf([{ ...hub, ports: [foreign] }]) }), { now: NOW });
    expect(blockPage).toContain('<span class="service warn">https foreign HTTP 200 OK, Server: &#60;b&#62;</span>');
  });

  it("shows the device's clock offset and its source, as a warning past the limit", () => {
    const header = (p: string) => text(/<header>[\s\S]*?<\/header>/.exec(p)![0]);
    expect(header(page)).toContain("Clock +0.2 s against hub's HTTPS Date (this device is behind)");
    const skewed = renderStatusPage(
      snapshotOf({ lastRun: runOf([healthyTarget()], { clock: { offsetSeconds: -3725.4, source: 'hub' } }) }),
      { now: NOW },
    );
    expect(skewed).toMatch(
      /<dd><span class="warn">-3725\.4 s against hub&#39;s HTTPS Date \(this device is ahead\): over the 300 s limit/,
    );
    expect(header(skewed)).toContain('SAS tokens are rejected; sync the clock with NTP');
    expect(header(renderStatusPage(startingSnapshot(), { now: NOW }))).not.toContain('Clock');
  });

  it('shows under a proxied port the path through the proxy and the direct code beside it, and the proxy in the header', () => {
    const run = runOf([proxiedTarget('hub'), proxiedTarget('dps', 'auth-required'), proxiedTarget('acr', 'bypassed')]);
    const proxied = renderStatusPage(snapshotOf({ lastRun: run }), { now: NOW });
    const r = rows(proxied);
    expect(r.get('hub')).toContain(
      `443 ok OK through proxy ${PROXY_URL}: CONNECT 200, TLS ok, https ok HTTP 401 iothub-errorcode direct: TCP_REFUSED`,
    );
    // The direct path's answer is not shown as the port's: 8883 goes direct and keeps its own line.
    expect(r.get('hub')).toContain('8883 ok OK mqtt ok CONNACK 5');
    expect(proxied).toContain(
      `<span class="service warn">through proxy ${PROXY_URL}: CONNECT auth-required: HTTP/1.1 407 Proxy Authentication Required (the proxy asks for Basic)</span>`,
    );
    expect(r.get('dps')).toContain('direct: TCP_REFUSED');
    expect(r.get('acr')).toContain('443 ok OK https ok HTTP 401 iothub-errorcode bypassed (NO_PROXY)');
    expect(r.get('acr')).not.toContain('direct:');
    const header = text(/<header>[\s\S]*?<\/header>/.exec(proxied)![0]);
    expect(header).toContain(`Proxy ${PROXY_URL} (443 through it, direct beside it)`);
    expect(text(/<header>[\s\S]*?<\/header>/.exec(page)![0])).not.toContain('Proxy');
  });

  it('colours each verdict by its status class as well as naming it', () => {
    for (const status of ['healthy', 'degraded', 'unhealthy']) {
      expect(page).toContain(`<span class="badge verdict v-${status}">${status}</span>`);
      expect(page).toMatch(new RegExp(`\\.v-${status}\\{background:#[0-9a-f]{6}\\}`));
    }
    expect(text(/<p class="overall">[\s\S]*?<\/p>/.exec(page)![0])).toBe('Overall: unhealthy');
  });

  it('shows the upstream link, last contact, queue and the edge findings', () => {
    const upstream = text(/<section id="upstream">[\s\S]*?<\/section>/.exec(page)![0]);
    expect(upstream).toContain('Link connected');
    expect(upstream).toContain('Last contact 2026-11-28 09:00:01 UTC (5 min ago)');
    expect(upstream).toContain('2 queued · 5 dropped');
    const edgeText = text(/<section id="edge">[\s\S]*?<\/section>/.exec(page)![0]);
    expect(edgeText).toContain('info DOCKER_EMBEDDED_DNS');
    expect(edgeText).toContain('Provisioning dps-symmetric-key');
  });

  it('is readable on a phone and reloads itself, at most every 30 s and with the interval when shorter', () => {
    expect(page).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(page).toContain('<meta http-equiv="refresh" content="30">');
    expect(page).toMatch(/@media \(max-width:[^)]+\)\{thead\{display:none\}/);
    expect(renderStatusPage(snapshotOf({ intervalSeconds: 10 }), { now: NOW })).toContain(
      '<meta http-equiv="refresh" content="10">',
    );
  });

  it('loads nothing from anywhere: no script, no external source, link or stylesheet', () => {
    expect(page).not.toMatch(/<script|<link|<img|<iframe|@import|url\(/i);
    expect(page).not.toMatch(/\b(src|href)\s*=\s*["']?\s*(https?:)?\/\//i);
    expect([...page.matchAll(/\bhref="([^"]*)"/g)].map((m) => m[1])).toEqual(['/status', '/metrics']);
  });

  it('says that no run has completed yet before the first one, with the overall unknown', () => {
    const starting = renderStatusPage(startingSnapshot(), { now: NOW });
    expect(rows(starting).size).toBe(0);
    expect(text(starting)).toContain('No run has completed yet.');
    expect(text(starting)).toContain('Overall: unknown');
    expect(text(starting)).toContain('Link connecting');
    expect(text(starting)).toContain('Last contact never');
  });

  it('says a run without targets had none, and an unaudited edge that it was not audited', () => {
    const empty = text(renderStatusPage(snapshotOf({ lastRun: runOf([]), edge: null }), { now: NOW }));
    expect(empty).toContain('The last run had no targets');
    expect(empty).toContain('Not audited yet.');
  });
});

describe('status page escaping', () => {
  const attack = '<script>alert(1)</script>';
  const attribute = 'x" onmouseover="alert(2)';

  function hostilePage(): string {
    const run = threeVerdictRun();
    const hostile = healthyTarget(attribute, `evil.example"><img src=x onerror=alert(3)>`, {
      reason: `resolver said ${attack} & more`,
      status: 'unhealthy',
      code: 'DNS_FAILED',
    });
    hostile.dns.resolver = `</td>${attack}:53`;
    hostile.dns.addresses = [{ address: `<b>10.0.0.1</b>`, family: 4, class: 'private', private: true }];
    return renderStatusPage(
      snapshotOf({
        lastRun: runOf([...run.targets, hostile]),
        deviceId: attack,
        moduleVersion: attack,
        changedAt: { [attribute]: attack },
        upstream: { state: 'disconnected', hostname: attack, lastContactAt: null, queued: 0, dropped: 0 },
        edge: edge({
          provisioning: attack,
          // Names read from config.toml and the module's environment are outside text too.
          upstream: { hostname: `${attack}.example`, form: 'custom', policyOk: false, gateway: attribute },
          findings: [{ id: 'HOSTS_PINNED', severity: 'warning', text: `/etc/hosts pins ${attack}` }],
        }),
      }),
      { now: NOW },
    );
  }

  it('escapes every string from configuration, DNS and the runtime: no element or attribute is injected', () => {
    const page = hostilePage();
    expect(page).not.toContain('<script');
    expect(page).not.toContain('<img');
    expect(page).not.toContain('<b>');
    expect(page).not.toContain('onmouseover="');
    expect(page).not.toMatch(/<\/td><script/);
    // The text is still there for the operator to read, as text.
    expect(page).toContain(escapeHtml(attack));
    expect(page).toContain(`data-target="${escapeHtml(attribute)}"`);
    expect(text(page)).toContain(`resolver said ${attack} & more`);
    expect(text(page)).toContain('/etc/hosts pins <script>');
    expect(text(page)).toContain(`Upstream name ${attack}.example (custom, against the hostname policy)`);
    expect(text(page)).toContain(`Gateway ${attribute}`);
  });

  it('escapes the five characters that can end text or an attribute', () => {
    expect(escapeHtml(`<a href='x'>"&"</a>`)).toBe('&#60;a href=&#39;x&#39;&#62;&#34;&#38;&#34;&#60;/a&#62;');
  });
});
