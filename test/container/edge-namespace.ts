// The tier's network: one namespace the test makes, with nothing but its own loopback up. The edgeHub
// emulator, the DNS server and the private endpoints listen on its 127.0.0.x, and the containers join it
// (`podman run --network ns:<path>`), so the module inside reaches them and nothing else: the namespace has
// no link and no route to anywhere.
import { startInNamespace, type NamespaceProcess, type StartOptions } from '../netns/namespace-process.js';
import { ip, namespaceNames, pidsIn } from '../netns/shell.js';

export interface EdgeNamespace {
  readonly name: string;
  /** For `podman run --network ns:<path>`. */
  readonly path: string;
  /** A process inside the namespace; dispose() stops it. */
  start(command: string[], options: StartOptions): NamespaceProcess;
  /** Stops every process inside, then deletes the namespace; safe to call twice. */
  dispose(): Promise<void>;
}

export async function createEdgeNamespace(): Promise<EdgeNamespace> {
  const name = `plpctr-${process.pid}`;
  const processes: NamespaceProcess[] = [];
  let disposed: Promise<void> | undefined;
  await ip('netns', 'add', name);
  await ip('-n', name, 'link', 'set', 'lo', 'up');
  return {
    name,
    path: `/run/netns/${name}`,
    start(command, options) {
      const proc = startInNamespace(name, command, options);
      processes.push(proc);
      return proc;
    },
    dispose() {
      disposed ??= (async () => {
        await Promise.all(processes.map((p) => p.stop()));
        // A container left running (a failed test) is a process in here too.
        for (const pid of await pidsIn(name)) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            /* already gone */
          }
        }
        if ((await namespaceNames()).includes(name)) await ip('netns', 'del', name);
      })();
      return disposed;
    },
  };
}
