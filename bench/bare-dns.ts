// The baseline's DNS: a handful of questions to one server over one connected UDP socket, with dns-packet
// and nothing else: no CNAME walking, no classification. Unanswered questions are sent again every
// timeoutMs / 3, the engine's resend policy, so a lost datagram costs both sides the same.
import dgram from 'node:dgram';
import dnsPacket from 'dns-packet';
import type { DecodedPacket } from 'dns-packet';

/** dns-packet decodes the rcode but its typings omit it. */
export type Response = DecodedPacket & { rcode?: string };

export interface Question {
  name: string;
  type: 'A' | 'AAAA';
}

/** One response per question, in question order; rejects at `timeoutMs` or on a socket error. */
export function ask(
  server: { address: string; port: number },
  questions: readonly Question[],
  timeoutMs: number,
): Promise<Response[]> {
  const socket = dgram.createSocket('udp4');
  const packets = questions.map((q, id) =>
    dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ ...q, class: 'IN' }] }),
  );
  const responses: Array<Response | undefined> = questions.map(() => undefined);
  let unanswered = questions.length;
  const sendUnanswered = () => packets.forEach((p, id) => responses[id] ?? socket.send(p));
  return new Promise<Response[]>((resolve, reject) => {
    const resend = setInterval(sendUnanswered, Math.max(250, Math.floor(timeoutMs / 3)));
    const deadline = setTimeout(
      () => end(new Error(`DNS: ${unanswered} question(s) unanswered within ${timeoutMs} ms`)),
      timeoutMs,
    );
    let ended = false;
    const end = (error?: Error) => {
      if (ended) return;
      ended = true;
      clearInterval(resend);
      clearTimeout(deadline);
      socket.close();
      if (error) reject(error);
      else resolve(responses as Response[]);
    };
    socket.on('error', end);
    socket.on('message', (message) => {
      const response: Response = dnsPacket.decode(message);
      const id = response.id ?? -1;
      if (id < 0 || id >= questions.length || responses[id]) return;
      responses[id] = response;
      if (--unanswered === 0) end();
    });
    socket.connect(server.port, server.address, sendUnanswered);
  });
}
