// A running container's memory, two ways: the kernel's figures for the node process (resident, split into
// anonymous memory, the heap and everything else the process wrote, and file-backed pages, the node binary's
// code among them), and the runtime's own figure, `podman stats`: what `docker stats` and IoT Edge's memory
// metrics show an operator (on cgroup v1: the container's usage without its page cache). With them, the node
// process's CPU time: what a memory setting costs or saves in the same minute.
import { readFile } from 'node:fs/promises';
import { podman } from './podman.js';

export interface MemoryFigures {
  residentBytes: number;
  anonymousBytes: number;
  fileBytes: number;
  runtimeBytes: number;
  /** The node process's CPU time since it started (user + system), in ms: what the memory flags cost or save. */
  cpuMs: number;
}

/** utime + stime from /proc/<pid>/stat (fields 14 and 15, after the command name in parentheses), in ms. */
function cpuMsOf(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** USER_HZ, which Linux fixes at 100 for /proc on every architecture this runs on. */
const CLOCK_TICKS_PER_SECOND = 100;

const UNITS: Record<string, number> = { B: 1, kB: 1e3, KB: 1e3, MB: 1e6, GB: 1e9 };

/** `podman stats`' "9.544MB / 25.28GB" → 9544000. */
function statsBytes(usage: string): number {
  const m = /^([\d.]+)\s*([kKMG]?B)\s*\//.exec(usage.trim());
  if (!m) throw new Error(`cannot read podman stats memory '${usage}'`);
  return Number(m[1]) * UNITS[m[2]!]!;
}

/** `VmRSS:  75432 kB` from /proc/<pid>/status, in bytes. */
function statusBytes(status: string, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
  if (!m) throw new Error(`no ${field} in /proc status`);
  return Number(m[1]) * 1024;
}

/** The figures for a running container whose PID 1 is node, as in the image. */
export async function measureMemory(container: string): Promise<MemoryFigures> {
  const pid = (await podman(['inspect', '--format', '{{.State.Pid}}', container])).trim();
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const [stats] = JSON.parse(await podman(['stats', '--no-stream', '--format', 'json', container])) as Array<{
    mem_usage: string;
  }>;
  return {
    residentBytes: statusBytes(status, 'VmRSS'),
    anonymousBytes: statusBytes(status, 'RssAnon'),
    fileBytes: statusBytes(status, 'RssFile'),
    runtimeBytes: statsBytes(stats!.mem_usage),
    cpuMs: cpuMsOf(stat),
  };
}
