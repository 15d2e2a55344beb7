// Hostile answers for the loopback DNS server: what a broken middlebox, a faulty DNS proxy or an attacker
// on the path sends instead of a well-formed response. Each takes the response the server would have sent
// and spoils it in one way. The decoys carry documentation addresses, so a client that took them for an
// answer would show a public address instead of naming the fault.
import { randomBytes } from 'node:crypto';
import dnsPacket from 'dns-packet';
import type { Answer, Packet, Question } from 'dns-packet';

export type HostileBehaviour =
  'short-a-record' | 'pointer-loop' | 'header-only' | 'wrong-question' | 'wrong-id' | 'garbage';
export const HOSTILE_BEHAVIOURS: readonly HostileBehaviour[] = [
  'short-a-record',
  'pointer-loop',
  'header-only',
  'wrong-question',
  'wrong-id',
  'garbage',
];

const HEADER_BYTES = 12;
/** The first two bits of a length byte that mark a compression pointer (RFC 1035 §4.1.4). */
const POINTER = 0xc0;

export function isHostile(behaviour: string): behaviour is HostileBehaviour {
  return (HOSTILE_BEHAVIOURS as readonly string[]).includes(behaviour);
}

/** `response`, spoiled as `behaviour` says. Answers without a record to spoil go out as they are. */
export function hostileResponse(behaviour: HostileBehaviour, response: Packet): Buffer {
  const question = response.questions![0]!;
  const encoded = dnsPacket.encode(response);
  const first = response.answers?.[0];
  switch (behaviour) {
    case 'short-a-record': {
      // The message ends one byte into the last record's address, as when a datagram is cut: a decoder that
      // ignores the record length reads "127.undefined.undefined.undefined".
      const last = response.answers?.at(-1);
      return last?.type === 'A' ? encoded.subarray(0, encoded.length - 3) : encoded;
    }
    case 'pointer-loop':
      return first ? withSelfPointer(response, encoded) : encoded;
    case 'header-only':
      // The header still announces its question and records.
      return encoded.subarray(0, HEADER_BYTES);
    case 'wrong-question':
      return dnsPacket.encode({
        ...response,
        questions: [{ ...question, name: `other.${question.name}` }],
        answers: [decoy(question)],
      });
    case 'wrong-id':
      return dnsPacket.encode({ ...response, id: ((response.id ?? 0) + 1) & 0xffff, answers: [decoy(question)] });
    case 'garbage': {
      // Random bytes with the response bit cleared: they can never pass for an answer by chance.
      const bytes = randomBytes(64);
      bytes[2]! &= 0x7f;
      return bytes;
    }
  }
}

function decoy(question: Question): Answer {
  const data = question.type === 'AAAA' ? '2001:db8::66' : '203.0.113.66';
  return { type: question.type === 'AAAA' ? 'AAAA' : 'A', name: question.name, ttl: 60, class: 'IN', data };
}

/** The first answer record's owner name replaced by a compression pointer to itself: a name without end. */
function withSelfPointer(response: Packet, encoded: Buffer): Buffer {
  const start = dnsPacket.encode({ ...response, answers: [] }).length;
  let end = start;
  while (encoded[end] !== 0) end += encoded[end]! + 1; // dns-packet writes names uncompressed
  const pointer = Buffer.from([POINTER | (start >> 8), start & 0xff]);
  return Buffer.concat([encoded.subarray(0, start), pointer, encoded.subarray(end + 1)]);
}
