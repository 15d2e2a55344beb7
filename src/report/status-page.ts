// The local status page `/`: for the operator on the factory floor, in a phone's
// browser on the edge network, when the cloud link is what broke. One self-contained HTML document: no
// script, no framework, no external asset (the network it is read on often has no internet), inline CSS,
// a table that turns into cards on a narrow screen, and a meta refresh so a page left open stays current.
//
// Every verdict is coloured AND spelled out (healthy / degraded / unhealthy, with its code): colour alone
// fails on a sunlit screen and for colour-blind readers. Every string that reaches the page passes through
// the `html` template, which escapes interpolations unless they are themselves `html` fragments: hostnames,
// reasons and DNS answers come from configuration and from the network, so none may become markup.
import type { ModuleSnapshot, UpstreamState } from './snapshot.js';
import { clockSkewed } from '../probe/clock.js';
import type { ClockReading, Overall, PortResult, RunResult, ServiceResult, TargetResult } from '../probe/types.js';
import { historySection, HISTORY_STYLE } from './history-svg.js';
import { html, raw, type Html } from './html.js';
import { proxied } from '../probe/steps.js';
import { clockText, proxyPathText, proxyUrl, serviceText } from './probe-text.js';

export { escapeHtml } from './html.js';

export interface StatusPageOptions {
  /** Epoch ms the page is rendered at: ages ("3 min ago") are counted from it. */
  now: number;
}

/** The longest the page waits before reloading itself; shorter when runs are more frequent. */
const MAX_REFRESH_SECONDS = 30;

export function renderStatusPage(s: ModuleSnapshot, { now }: StatusPageOptions): string {
  const run = s.lastRun;
  const overall: Overall = run?.overall ?? 'unknown';
  const refresh = Math.max(1, Math.min(MAX_REFRESH_SECONDS, s.intervalSeconds));
  const page = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="${refresh}">
<title>${overall} · privatelink-probe${s.deviceId ? ` · ${s.deviceId}` : ''}</title>
<style>${raw(STYLE + HISTORY_STYLE)}</style>
</head>
<body>
<header>
<h1>privatelink-probe</h1>
<p class="overall">Overall: ${verdict(overall)}</p>
<dl class="facts">
${fact('Device', s.deviceId ?? 'unknown')}${fact('Module', s.moduleId ?? 'unknown')}${fact('Version', s.moduleVersion)}
${fact('Last run', run ? html`${when(s.lastCompletedAt, now)} · ${run.durationMs} ms · ${run.targets.length} targets` : 'none completed yet')}
${fact('Next run', s.nextRunAt === undefined ? 'not scheduled' : when(s.nextRunAt, now))}
${fact('Runs', html`${s.runCount} since ${when(s.startedAt, now)} · every ${s.intervalSeconds} s`)}
${run?.clock ? fact('Clock', clockFact(run.clock)) : ''}
${proxyFact(run)}
</dl>
</header>
<main>
${upstreamSection(s, now)}
${targetsSection(s, now)}
${historySection(
  s.history,
  (run?.targets ?? []).map((t) => t.name),
)}
${edgeSection(s)}
</main>
<footer>Rendered ${when(now, now)}; reloads every ${refresh} s. Machine-readable: <a href="/status">/status</a> (JSON) · <a href="/metrics">/metrics</a> (Prometheus).</footer>
</body>
</html>
`;
  return page.text;
}

function upstreamSection(s: ModuleSnapshot, now: number): Html {
  const u = s.upstream;
  return html`<section id="upstream">
<h2>Upstream (edgeHub)</h2>
<dl class="facts">
${fact('Link', html`<span class="badge ${UPSTREAM_CLASS[u.state]}">${u.state}</span>`)}
${fact('IoT hub', u.hostname ?? 'unknown')}
${fact('Last contact', u.lastContactAt === null ? 'never' : when(Date.parse(u.lastContactAt), now))}
${fact('Telemetry', `${u.queued} queued · ${u.dropped} dropped`)}
</dl>
</section>`;
}

const UPSTREAM_CLASS: Record<UpstreamState, string> = {
  connected: 'v-healthy',
  connecting: 'v-degraded',
  disconnected: 'v-unhealthy',
  closed: 'v-unhealthy',
};

function targetsSection(s: ModuleSnapshot, now: number): Html {
  const targets = s.lastRun?.targets ?? [];
  if (targets.length === 0) {
    const why = s.lastRun
      ? 'The last run had no targets: configure them in the module twin (desired property targets).'
      : 'No run has completed yet.';
    return html`<section id="targets"><h2>Targets</h2><p class="empty">${why}</p></section>`;
  }
  return html`<section id="targets">
<h2>Targets</h2>
<table>
<thead><tr><th>Target</th><th>Verdict</th><th>Reason</th><th>Addresses</th><th>Ports</th><th>Last change</th></tr></thead>
<tbody>
${targets.map((t) => targetRow(t, s.changedAt[t.name], now))}</tbody>
</table>
</section>`;
}

function targetRow(t: TargetResult, changedAt: string | undefined, now: number): Html {
  return html`<tr class="target" data-target="${t.name}" data-status="${t.status}">
<td data-label="Target"><strong>${t.name}</strong><span class="host">${breakable(t.host)}</span><span class="kind">${t.kind}</span></td>
<td data-label="Verdict">${verdict(t.status)} <code>${t.code}</code></td>
<td data-label="Reason" class="reason">${t.reason}</td>
<td data-label="Addresses">${addresses(t)}</td>
<td data-label="Ports">${t.ports.length === 0 ? 'none' : html`<ul class="ports">${t.ports.map(portItem)}</ul>`}</td>
<td data-label="Last change">${changedAt === undefined ? 'unknown' : when(Date.parse(changedAt), now)}</td>
</tr>
`;
}

/** A hostname that may wrap after each dot (up to 253 characters must fit a phone's width). */
function breakable(host: string): Html {
  return html`${host.split('.').map((label, i) => html`${i === 0 ? '' : html`.<wbr>`}${label}`)}`;
}

function addresses(t: TargetResult): Html {
  if (t.dns.addresses.length === 0) return html`<span class="muted">no answer</span>`;
  const list = t.dns.addresses.map(
    (a) =>
      html`<li>${a.address} <span class="${a.private ? 'muted' : 'warn'}">${a.private ? 'private' : a.class}</span></li>`,
  );
  return html`<ul class="addresses">${list}</ul><span class="muted">via ${t.dns.resolver}</span>`;
}

function portItem(p: PortResult): Html {
  return html`<li><span class="badge ${p.ok ? 'v-healthy' : 'v-unhealthy'}">${p.port} ${p.ok ? 'ok' : 'failed'}</span> <code>${p.code}</code>${paths(p)}</li>`;
}

/**
 * Through a proxy, the port's code is the proxy path's: that path first, as a warning when it failed, then the
 * direct path's code and answer beside it (a direct path a firewall closes is normal behind a proxy). Otherwise
 * what answered the exchange, and a name NO_PROXY exempts says so.
 */
function paths(p: PortResult): Html {
  if (!proxied(p)) {
    const bypassed = p.proxy && html`<span class="service">${proxyPathText(p.proxy)}</span>`;
    return html`${serviceLine(p.service)}${bypassed}`;
  }
  const through = `through proxy ${p.proxy.url}: ${proxyPathText(p.proxy)}`;
  const direct =
    p.direct && html`<span class="service">direct: <code>${p.direct.code}</code>${answered(p.service)}</span>`;
  return html`<span class="${p.ok ? 'service' : 'service warn'}">${through}</span>${direct}`;
}

/** What answered the exchange after TLS; nothing when it was skipped (the code says why). */
function serviceLine(service: ServiceResult | undefined): Html | undefined {
  if (!service || service.outcome === 'skipped') return undefined;
  return html`<span class="${service.outcome === 'ok' ? 'service' : 'service warn'}">${serviceText(service)}</span>`;
}

/** `, https ok HTTP 401 …` after the direct path's code, when its exchange ran. */
function answered(service: ServiceResult | undefined): string {
  return service && service.outcome !== 'skipped' ? `, ${serviceText(service)}` : '';
}

/** The proxy the runtime's 443 goes through: the page shows both paths under each port it concerns. */
function proxyFact(run: RunResult | undefined): Html | undefined {
  const url = run && proxyUrl(run);
  return url === undefined
    ? undefined
    : fact('Proxy', html`${url} <span class="muted">(443 through it, direct beside it)</span>`);
}

/** Past the limit the whole line is a warning: it makes the overall verdict unhealthy on its own. */
function clockFact(clock: ClockReading): Html | string {
  return clockSkewed(clock) ? html`<span class="warn">${clockText(clock)}</span>` : clockText(clock);
}

function edgeSection(s: ModuleSnapshot): Html {
  const edge = s.edge;
  if (!edge) return html`<section id="edge"><h2>Edge runtime</h2><p class="empty">Not audited yet.</p></section>`;
  const findings =
    edge.findings.length === 0
      ? html`<p class="empty">No findings.</p>`
      : html`<ul class="findings">${edge.findings.map((f) => html`<li><span class="badge ${FINDING_CLASS[f.severity]}">${f.severity}</span> <code>${f.id}</code> ${f.text}</li>`)}</ul>`;
  const u = edge.upstream;
  return html`<section id="edge">
<h2>Edge runtime</h2>
<dl class="facts">
${fact('config.toml', edge.configToml)}${fact('Provisioning', edge.provisioning)}
${fact('Upstream name', html`${u.hostname ?? 'unknown'} (${u.form}${u.policyOk ? '' : ', against the hostname policy'})`)}
${fact('Gateway', u.gateway ?? 'none')}
</dl>
<h3>Findings</h3>
${findings}
</section>`;
}

const FINDING_CLASS = { info: 'v-unknown', warning: 'v-degraded', error: 'v-unhealthy' } as const;

function verdict(status: Overall): Html {
  return html`<span class="badge verdict v-${status}">${status}</span>`;
}

function fact(label: string, value: string | Html): Html {
  return html`<div><dt>${label}</dt><dd>${value}</dd></div>`;
}

/** An absolute UTC time with its distance from now. */
function when(epochMs: number | undefined, now: number): Html {
  if (epochMs === undefined || Number.isNaN(epochMs)) return html`unknown`;
  const iso = new Date(epochMs).toISOString();
  const shown = `${iso.slice(0, 19).replace('T', ' ')} UTC`;
  return html`<time datetime="${iso}">${shown}</time> <span class="muted">(${age(epochMs - now)})</span>`;
}

function age(deltaMs: number): string {
  const s = Math.round(Math.abs(deltaMs) / 1000);
  if (s === 0) return 'now';
  const text =
    s < 90
      ? `${s} s`
      : s < 90 * 60
        ? `${Math.round(s / 60)} min`
        : s < 36 * 3600
          ? `${Math.round(s / 3600)} h`
          : `${Math.round(s / 86400)} d`;
  return deltaMs < 0 ? `${text} ago` : `in ${text}`;
}

const STYLE = `
:root{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;background:#f6f8fa;line-height:1.4}
body{margin:0 auto;max-width:72rem;padding:.75rem}
h1{font-size:1.3rem;margin:.2rem 0}h2{font-size:1.1rem;margin:.2rem 0 .4rem}h3{font-size:1rem;margin:.8rem 0 .3rem}
section,header{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:.6rem .8rem;margin-bottom:.75rem}
.facts{display:flex;flex-wrap:wrap;gap:.3rem 1.5rem;margin:.3rem 0}.facts dt{font-size:.75rem;color:#59636e}.facts dd{margin:0}
.badge{display:inline-block;padding:.05rem .5rem;border-radius:1rem;font-weight:600;color:#fff;white-space:nowrap}
.v-healthy{background:#1a7f37}.v-degraded{background:#9a6700}.v-unhealthy{background:#cf222e}.v-unknown{background:#59636e}
.overall .badge{font-size:1.1rem}
table{width:100%;border-collapse:collapse}th{text-align:left;font-size:.8rem;color:#59636e;border-bottom:2px solid #d0d7de}
td,th{padding:.4rem;vertical-align:top}tr.target{border-bottom:1px solid #d0d7de}
tr[data-status=healthy] td:first-child{border-left:6px solid #1a7f37}tr[data-status=degraded] td:first-child{border-left:6px solid #9a6700}
tr[data-status=unhealthy] td:first-child{border-left:6px solid #cf222e}
.host,.kind,.service{display:block;font-size:.8rem;color:#59636e}.service.warn{color:#cf222e}td,li,dd{overflow-wrap:break-word}
ul{list-style:none;margin:0;padding:0}.ports li,.addresses li{margin-bottom:.2rem}.findings li{margin-bottom:.4rem}
time{white-space:nowrap}.muted{color:#59636e;font-size:.85rem}.warn{color:#cf222e;font-weight:600;font-size:.85rem}.empty{color:#59636e}
code{font-size:.8rem;background:#eff2f5;padding:0 .25rem;border-radius:3px}
footer{font-size:.8rem;color:#59636e;padding:.3rem}
@media (max-width:48rem){thead{display:none}table,tbody,tr,td{display:block;width:auto}
tr.target{border:1px solid #d0d7de;border-radius:6px;margin-bottom:.6rem}
td{border:0!important;padding:.25rem .6rem}td::before{content:attr(data-label);display:block;font-size:.7rem;color:#59636e;text-transform:uppercase}
tr[data-status=healthy]{border-left:6px solid #1a7f37!important}tr[data-status=degraded]{border-left:6px solid #9a6700!important}
tr[data-status=unhealthy]{border-left:6px solid #cf222e!important}}
`;
