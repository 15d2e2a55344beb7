// The steps a port goes through after the target's DNS step, in order, as one list (`portSteps`): every output
// that shows per-step times (the twin's `<step>Ms`, the history, the `step_seconds` metric, the status page's
// plot, `check`'s table, the SLOW rule) loops over it. A new step is added here (its entry, and its result in
// `portSteps`), in its own file built on step.ts, in run.ts and in its verdict rules; the outputs follow.
import type { PortResult, ProxyResult } from './types.js';

export const PORT_STEPS = [
  { step: 'tcp', title: 'TCP', doing: 'TCP connect to port' },
  { step: 'tls', title: 'TLS', doing: 'TLS handshake on port' },
  { step: 'service', title: 'Service', doing: 'service exchange on port' },
  { step: 'proxy', title: 'Proxy', doing: "proxy's CONNECT for port" },
] as const;

export type PortStepName = (typeof PORT_STEPS)[number]['step'];

/** Where a step's time goes in the twin and the history: `tcpMs`, `tlsMs`, `serviceMs`, `proxyMs`. */
export type StepTimeKey = `${PortStepName}Ms`;
export const stepTimeKey = (step: PortStepName): StepTimeKey => `${step}Ms`;

/** One step on one address of a port. */
export interface PortStep {
  step: PortStepName;
  /** The step's own outcome (TcpOutcome, TlsOutcome, ...). */
  outcome: string;
  ms: number;
  address: string;
}

/** Every step the port went through, on every address, in order. */
export function portSteps(p: Pick<PortResult, 'tcp' | 'tls' | 'service' | 'proxy'>): PortStep[] {
  const steps: PortStep[] = p.tcp.map((t) => ({ step: 'tcp', outcome: t.outcome, ms: t.ms, address: t.address }));
  if (p.tls) steps.push({ step: 'tls', outcome: p.tls.outcome, ms: p.tls.ms, address: p.tls.address });
  // A skipped exchange never ran: it has no time to show.
  if (p.tls && p.service && p.service.outcome !== 'skipped')
    steps.push({ step: 'service', outcome: p.service.outcome, ms: p.service.ms, address: p.tls.address });
  // The tunnel's own handshake and exchange are the proxy path's evidence, not steps of the direct path.
  if (proxied(p)) steps.push({ step: 'proxy', outcome: p.proxy.outcome, ms: p.proxy.ms, address: p.proxy.url });
  return steps;
}

/** The time of each step on the port's first address that ran it. */
export function stepTimes(steps: readonly PortStep[]): Partial<Record<PortStepName, number>> {
  const times: Partial<Record<PortStepName, number>> = {};
  for (const s of steps) times[s.step] ??= s.ms;
  return times;
}

/** The path went through the proxy: there was one for the port and NO_PROXY did not exempt the name. */
export function throughProxy(proxy: ProxyResult | undefined): proxy is ProxyResult {
  return proxy !== undefined && proxy.outcome !== 'bypassed';
}

/** The port went through the proxy, so its code is the proxy path's (`direct` holds the other one). */
export function proxied<P extends Pick<PortResult, 'proxy'>>(p: P): p is P & { proxy: ProxyResult } {
  return throughProxy(p.proxy);
}
