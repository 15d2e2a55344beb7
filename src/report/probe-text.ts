// Short readable forms of a port's service exchange, its proxy path and the clock reading, for the status page
// and `check`'s table: the same words in both places; and which proxy a run met, which every output that shows
// the proxy path asks.
import { CLOCK_SKEW_LIMIT_SECONDS, clockSkewed } from '../probe/clock.js';
import type { ClockReading, ProxyResult, RunResult, ServiceResult } from '../probe/types.js';

/** `mqtt ok CONNACK 5`, `https foreign HTTP 200 OK, Server: nginx`. */
export function serviceText(service: ServiceResult): string {
  return [service.protocol, service.outcome, service.detail].filter(Boolean).join(' ');
}

/**
 * The proxy the run's 443 went through. There is one for the whole run (the runtime's `https_proxy`), and
 * every port it concerned carries its URL, which never has user information. Undefined when no port met one.
 */
export function proxyUrl(run: Pick<RunResult, 'targets'>): string | undefined {
  for (const t of run.targets) for (const p of t.ports) if (p.proxy) return p.proxy.url;
  return undefined;
}

/**
 * `CONNECT 200, TLS ok, https ok HTTP 401 iothub-errorcode` through the tunnel; `CONNECT auth-required: HTTP/1.1
 * 407 …` when the proxy refused; `bypassed (NO_PROXY)` when the name is exempt. A skipped exchange is left out:
 * the code says why.
 */
export function proxyPathText(proxy: ProxyResult): string {
  if (proxy.outcome === 'bypassed') return 'bypassed (NO_PROXY)';
  if (proxy.outcome !== 'ok') return `CONNECT ${proxy.outcome}: ${proxy.error ?? proxy.status ?? 'no answer'}`;
  const steps = [`CONNECT ${proxy.status ?? 'ok'}`];
  if (proxy.tls) steps.push(`TLS ${proxy.tls.outcome}`);
  if (proxy.service && proxy.service.outcome !== 'skipped') steps.push(serviceText(proxy.service));
  return steps.join(', ');
}

/**
 * `+0.2 s against hub's HTTPS Date (this device is behind)`: the offset is server time minus device time, so a
 * positive one is a device clock that lags. Past the limit, what that breaks and the fix follow.
 */
export function clockText(clock: ClockReading): string {
  const { offsetSeconds, source } = clock;
  const size = Math.abs(offsetSeconds);
  const sign = offsetSeconds > 0 ? '+' : offsetSeconds < 0 ? '-' : '';
  const side = offsetSeconds > 0 ? 'this device is behind' : offsetSeconds < 0 ? 'this device is ahead' : 'in step';
  const reading = `${sign}${size} s against ${source}'s HTTPS Date (${side})`;
  return clockSkewed(clock)
    ? `${reading}: over the ${CLOCK_SKEW_LIMIT_SECONDS} s limit, SAS tokens are rejected; sync the clock with NTP`
    : reading;
}
