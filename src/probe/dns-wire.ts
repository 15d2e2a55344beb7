// Reading one DNS response off the wire without trusting it. A response is ours when it carries the id of
// a query in flight and repeats that query's question; anything else (another id, another question, bytes
// that are not a DNS response) is a stray, ignored as a stub resolver ignores it. A response that is ours
// but broken is malformed: it is named, never read. dns-packet alone cannot tell a broken record from a
// good one: it reads an A record's four bytes (an AAAA record's sixteen) whatever the record's length field
// says, so an answer cut inside an address decodes to "10.1.1.undefined". The framing of every record is
// therefore checked here before dns-packet decodes the message.
import net from 'node:net';
import dnsPacket from 'dns-packet';
import type { DecodedPacket, Question } from 'dns-packet';
import { normalizeHostname } from './hostname.js';

export type Response = DecodedPacket & { rcode?: string };

/** The question of a query in flight, to match responses against. */
export interface Asked {
  name: string;
  type: 'A' | 'AAAA';
}

export type StrayKind = 'another id' | 'another question' | 'not a response';

export type Reading =
  | { kind: 'stray'; stray: StrayKind }
  | { kind: 'malformed'; id: number; fault: string }
  /** The TC bit: the records are not read, since a server may cut them anywhere; ask again over TCP. */
  | { kind: 'truncated'; id: number }
  | { kind: 'response'; id: number; response: Response };

/** A query's answer that is ours but cannot be read; the message names what is wrong with it. */
export class MalformedAnswer extends Error {}

const HEADER_BYTES = 12;
const RESPONSE_FLAG = 0x8000;
/** Type, class, TTL and data length: what follows a record's owner name. */
const RECORD_FIXED_BYTES = 10;
/** The two high bits of a label length byte: 11 is a compression pointer, 01 and 10 are not in use. */
const LABEL_KIND = 0xc0;
/** The 14 bits of a compression pointer that give the offset it points to. */
const POINTER_OFFSET = 0x3fff;
const CNAME_TYPE = 5;
const ADDRESS_TYPES = new Map([
  [1, { name: 'A', bytes: 4 }],
  [28, { name: 'AAAA', bytes: 16 }],
]);

/** Reads `message` as a response to one of the queries `asked` knows by id. Never throws. */
export function readResponse(message: Buffer, asked: (id: number) => Asked | undefined): Reading {
  if (message.length < HEADER_BYTES || (message.readUInt16BE(2) & RESPONSE_FLAG) === 0) {
    return { kind: 'stray', stray: 'not a response' };
  }
  const id = message.readUInt16BE(0);
  const query = asked(id);
  if (!query) return { kind: 'stray', stray: 'another id' };
  try {
    const question = echoedQuestion(message);
    if (question.type !== query.type || !sameName(question.name, query.name))
      return { kind: 'stray', stray: 'another question' };
    if ((message.readUInt16BE(2) & dnsPacket.TRUNCATED_RESPONSE) !== 0) return { kind: 'truncated', id };
    checkRecordFraming(message);
    const response = decodeRecords(message);
    checkAddresses(response);
    return { kind: 'response', id, response };
  } catch (error) {
    return {
      kind: 'malformed',
      id,
      fault: error instanceof MalformedAnswer ? error.message : `a message that does not decode: ${describe(error)}`,
    };
  }
}

/** The response repeats the question it answers; names compare case-insensitively (servers may echo 0x20 case). */
export function sameName(a: string, b: string): boolean {
  return normalizeHostname(a) === normalizeHostname(b);
}

/** The first question of the response; the records, which may be what is broken, are not read yet. */
function echoedQuestion(message: Buffer): Question {
  if (message.readUInt16BE(4) === 0) throw new MalformedAnswer('no question repeated');
  if (message.length === HEADER_BYTES) throw new MalformedAnswer('ends after its 12-byte header');
  const headerAndQuestions = Buffer.from(message);
  headerAndQuestions.fill(0, 6, HEADER_BYTES); // no answer, authority or additional records
  try {
    return dnsPacket.decode(headerAndQuestions).questions![0]!;
  } catch (error) {
    throw new MalformedAnswer(`a question that does not decode: ${describe(error)}`);
  }
}

function decodeRecords(message: Buffer): Response {
  try {
    return dnsPacket.decode(message) as Response;
  } catch (error) {
    throw new MalformedAnswer(`records that do not decode: ${describe(error)}`);
  }
}

/**
 * Every record lies inside the message, every A and AAAA record holds exactly one address, and a CNAME's
 * target ends where its record does. Throws MalformedAnswer naming the first fault.
 */
function checkRecordFraming(message: Buffer): void {
  let offset = HEADER_BYTES;
  for (let i = message.readUInt16BE(4); i > 0; i--) offset = nameEnd(message, offset) + 4;
  const records = message.readUInt16BE(6) + message.readUInt16BE(8) + message.readUInt16BE(10);
  for (let i = 0; i < records; i++) {
    offset = nameEnd(message, offset);
    if (offset + RECORD_FIXED_BYTES > message.length) throw new MalformedAnswer('cut short inside a record');
    const type = message.readUInt16BE(offset);
    const length = message.readUInt16BE(offset + 8);
    const data = offset + RECORD_FIXED_BYTES;
    const address = ADDRESS_TYPES.get(type);
    if (address && length !== address.bytes) {
      throw new MalformedAnswer(`an ${address.name} record of ${length} bytes instead of ${address.bytes}`);
    }
    if (data + length > message.length) {
      const what = address
        ? `an ${address.name} record: ${message.length - data} of ${length} address bytes`
        : `a record: ${message.length - data} of ${length} bytes`;
      throw new MalformedAnswer(`cut short inside ${what}`);
    }
    if (type === CNAME_TYPE && nameEnd(message, data) !== data + length) {
      throw new MalformedAnswer('a CNAME record whose target does not end where the record does');
    }
    offset = data + length;
  }
}

/**
 * Where the name starting at `start` ends. A compression pointer must point back, before the name: one that
 * points at itself or forward would make a decoder go round in circles (RFC 1035 §4.1.4 allows only prior
 * occurrences).
 */
function nameEnd(message: Buffer, start: number): number {
  for (let offset = start; ;) {
    if (offset >= message.length) throw new MalformedAnswer('cut short inside a name');
    const length = message[offset]!;
    if (length === 0) return offset + 1;
    if ((length & LABEL_KIND) === LABEL_KIND) {
      if (offset + 2 > message.length) throw new MalformedAnswer('cut short inside a name');
      if ((message.readUInt16BE(offset) & POINTER_OFFSET) >= start) {
        throw new MalformedAnswer('a name compression pointer that points at itself or forward');
      }
      return offset + 2;
    }
    if ((length & LABEL_KIND) !== 0) throw new MalformedAnswer('a name label of a kind not in use');
    offset += 1 + length;
  }
}

/** Every address taken from a response is checked once more after decoding, whatever the framing said. */
function checkAddresses(response: Response): void {
  for (const record of response.answers ?? []) {
    if ((record.type === 'A' && !net.isIPv4(record.data)) || (record.type === 'AAAA' && !net.isIPv6(record.data))) {
      throw new MalformedAnswer(`an ${record.type} record holding "${record.data}", not an address`);
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
