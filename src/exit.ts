// Ending the process promptly in every state. `process.exit` joins libuv's thread pool before the process
// ends, and a getaddrinfo blocked on a silent resolver holds a pool thread for the C library's whole retry
// cycle (timeout × attempts × nameservers: 10 s with glibc's defaults and two nameservers), which nothing in
// JavaScript can cancel. So while a system lookup is still in flight, the process replaces itself
// (`process.execve`, Node ≥ 22.15 — the image's Node) with a Node that exits at once with the same code: the
// kernel ends the stuck thread along with the old image. Older Nodes fall back to `process.exit` and wait.
// Logs are written synchronously (src/log.ts), so nothing is lost with the old image.
import { systemLookupsInFlight } from './probe/deps.js';

type Execve = (file: string, args: string[], env: Record<string, string>) => never;

export function exitNow(code: number): never {
  const execve = (process as unknown as { execve?: Execve }).execve;
  if (systemLookupsInFlight() > 0 && typeof execve === 'function') {
    execve(process.execPath, [process.execPath, '-e', `process.exit(${Math.trunc(code) & 0xff})`], {});
  }
  process.exit(code);
}
