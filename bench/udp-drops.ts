// A check on the benchmark itself: datagrams the kernel dropped because a UDP receive buffer was full.
// A dropped DNS query costs a resend interval, so a figure taken while drops happened measures timers,
// not code. Linux only; machine-wide, so other processes' drops count too.
import { readFileSync } from 'node:fs';

/** The kernel's UDP RcvbufErrors counter, or undefined where /proc/net/snmp does not exist. */
export function udpReceiveDrops(): number | undefined {
  try {
    const lines = readFileSync('/proc/net/snmp', 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('Udp:'));
    const [names, values] = lines.map((l) => l.trim().split(/\s+/));
    const at = names?.indexOf('RcvbufErrors') ?? -1;
    return at > 0 ? Number(values?.[at]) : undefined;
  } catch {
    return undefined;
  }
}
