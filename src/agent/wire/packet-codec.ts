// Packet framing (version 1):
//   'G' 'V' | version u8 | flags u8 (bit0 = encrypted) | cluster (u8 length + UTF-8) | body
//   body = sender (name, generation varint, addr, seq varint) | count varint | (varint length + message)*
// Encrypted, the body becomes nonce | AES-256-GCM ciphertext | tag, with the header as additional
// authenticated data, so the cluster name and flags cannot be altered either.

import type { DropReason } from '../base/types.js';
import { ByteReader } from './byte-reader.js';
import { ByteWriter } from './byte-writer.js';
import { DecodeError } from './decode-error.js';
import { type Keyring, SEAL_OVERHEAD } from './keyring.js';
import { LIMITS } from './limits.js';
import { decodeMessage } from './message-codec.js';
import type { Message, Packet, PacketSender } from './messages.js';
import { isVarintValue, varintSize } from './varint.js';

export const MAGIC = [0x47, 0x56] as const; // 'G' 'V'
export const WIRE_VERSION = 1;
export const FLAG_ENCRYPTED = 0x01;
const KNOWN_FLAGS = FLAG_ENCRYPTED;

export type DecodePacketResult = { ok: true; packet: Packet } | { ok: false; reason: DropReason };

export interface DecodePacketOptions {
  cluster: string;
  keyring: Keyring | null;
  maxBytes: number;
}

/**
 * What every packet of one sender starts with, encoded once: the header (magic, version, flags,
 * cluster) and the sender's name, generation and address. Only the sequence number changes from one
 * packet to the next, so a node keeps its own prefix instead of encoding the same strings each time.
 */
export interface PacketPrefix {
  readonly cluster: string;
  readonly name: string;
  readonly generation: number;
  readonly addr: string;
  readonly encrypted: boolean;
  readonly header: Uint8Array;
  /** name, generation, addr: the sender fields before the sequence number. */
  readonly sender: Uint8Array;
}

/** Validates and encodes the fixed part of a sender's packets (throws a RangeError naming the field). */
export function packetPrefix(
  cluster: string,
  sender: Omit<PacketSender, 'seq'>,
  encrypted: boolean,
): PacketPrefix {
  const w = new ByteWriter(64);
  w.string(sender.name, LIMITS.name, 'sender name', true);
  w.varint(sender.generation, 'sender generation');
  w.string(sender.addr, LIMITS.addr, 'sender addr');
  return {
    cluster,
    name: sender.name,
    generation: sender.generation,
    addr: sender.addr,
    encrypted,
    header: encodeHeader(cluster, encrypted),
    sender: w.finish(),
  };
}

/** Whether `prefix` was encoded for exactly this cluster, sender and encryption. */
export function prefixMatches(
  prefix: PacketPrefix,
  cluster: string,
  sender: Omit<PacketSender, 'seq'>,
  encrypted: boolean,
): boolean {
  return (
    prefix.encrypted === encrypted &&
    prefix.generation === sender.generation &&
    prefix.name === sender.name &&
    prefix.addr === sender.addr &&
    prefix.cluster === cluster
  );
}

/** `messages` are already-encoded messages (encodeMessage), so the core can cache and pack them. */
export function encodePacket(
  cluster: string,
  sender: PacketSender,
  messages: readonly Uint8Array[],
  keyring: Keyring | null,
): Uint8Array {
  return encodePrefixed(packetPrefix(cluster, sender, keyring !== null), sender.seq, messages, keyring);
}

/** encodePacket with the header and sender already encoded; the body is written at its exact size. */
export function encodePrefixed(
  prefix: PacketPrefix,
  seq: number,
  messages: readonly Uint8Array[],
  keyring: Keyring | null,
): Uint8Array {
  if (prefix.encrypted !== (keyring !== null)) throw new RangeError('packet prefix: encryption mismatch');
  checkSeq(seq);
  const plain = keyring === null;
  let size = (plain ? prefix.header.length : 0) + prefix.sender.length + varintSize(seq);
  size += varintSize(messages.length);
  for (const m of messages) size += framedSize(m);
  const body = new ByteWriter(size);
  if (plain) body.raw(prefix.header);
  body.raw(prefix.sender);
  body.varint(seq, 'sender seq');
  body.varint(messages.length);
  for (const m of messages) {
    body.varint(m.length);
    body.raw(m);
  }
  if (plain) return body.finish();
  const sealed = keyring.encrypt(body.finish(), prefix.header);
  const out = new Uint8Array(prefix.header.length + sealed.length);
  out.set(prefix.header, 0);
  out.set(sealed, prefix.header.length);
  return out;
}

/** Bytes one encoded message takes inside a packet: its varint length prefix plus itself. */
export function framedSize(encodedMessage: Uint8Array): number {
  return varintSize(encodedMessage.length) + encodedMessage.length;
}

/**
 * Bytes of a packet besides its framed messages: header, sender, the message count and, when
 * encrypting, nonce and tag. Exact while the count fits one varint byte (≤ 127 messages): then
 * `packetOverhead(...) + Σ framedSize(m)` is the encoded packet's length.
 */
export function packetOverhead(cluster: string, sender: PacketSender, keyring: Keyring | null): number {
  return prefixedOverhead(packetPrefix(cluster, sender, keyring !== null), sender.seq);
}

/** packetOverhead for a packet with this prefix and sequence number. */
export function prefixedOverhead(prefix: PacketPrefix, seq: number): number {
  checkSeq(seq);
  const seal = prefix.encrypted ? SEAL_OVERHEAD : 0;
  return prefix.header.length + prefix.sender.length + varintSize(seq) + 1 + seal;
}

/** Never throws: every invalid input maps to a drop reason. */
export function decodePacket(bytes: Uint8Array, opts: DecodePacketOptions): DecodePacketResult {
  if (bytes.length > opts.maxBytes) return { ok: false, reason: 'oversize' };
  try {
    return decodeChecked(bytes, opts);
  } catch (e) {
    // Only DecodeError is an expected outcome; anything else is a bug the fuzz tests must see.
    if (e instanceof DecodeError) return { ok: false, reason: 'malformed' };
    throw e;
  }
}

function decodeChecked(bytes: Uint8Array, opts: DecodePacketOptions): DecodePacketResult {
  const r = new ByteReader(bytes);
  if (r.u8('magic') !== MAGIC[0] || r.u8('magic') !== MAGIC[1]) return { ok: false, reason: 'malformed' };
  if (r.u8('version') !== WIRE_VERSION) return { ok: false, reason: 'unsupported-version' };
  const flags = r.u8('flags');
  if ((flags & ~KNOWN_FLAGS) !== 0) return { ok: false, reason: 'malformed' };
  const cluster = r.shortString(LIMITS.cluster, 'cluster', true);
  // Before any decryption: a foreign cluster's packets should cost us nothing.
  if (cluster !== opts.cluster) return { ok: false, reason: 'foreign-cluster' };
  const encrypted = (flags & FLAG_ENCRYPTED) !== 0;
  // A cluster with keys accepts only sealed packets, and one without keys cannot open them.
  if (encrypted !== (opts.keyring !== null)) return { ok: false, reason: 'bad-key' };

  let body: ByteReader;
  if (opts.keyring === null) {
    body = r;
  } else {
    const headerEnd = r.offset;
    const sealed = r.rest();
    if (sealed.length < SEAL_OVERHEAD) return { ok: false, reason: 'malformed' };
    const plain = opts.keyring.decrypt(sealed, bytes.subarray(0, headerEnd));
    if (plain === null) return { ok: false, reason: 'bad-key' };
    body = new ByteReader(plain);
  }

  const sender: PacketSender = {
    name: body.string(LIMITS.name, 'sender name', true),
    generation: body.varint('sender generation'),
    addr: body.string(LIMITS.addr, 'sender addr'),
    seq: body.varint('sender seq'),
  };
  const count = body.count('messages', 2);
  const messages: Message[] = [];
  for (let i = 0; i < count; i++) {
    const len = body.varint('message length');
    messages.push(decodeMessage(body.sub(len, 'message')));
  }
  body.expectEnd('packet');
  return { ok: true, packet: { cluster, sender, messages } };
}

function checkSeq(seq: number): void {
  if (!isVarintValue(seq)) throw new RangeError(`sender seq: ${seq} is not a non-negative safe integer`);
}

function encodeHeader(cluster: string, encrypted: boolean): Uint8Array {
  const w = new ByteWriter(4 + cluster.length * 3);
  w.u8(MAGIC[0]);
  w.u8(MAGIC[1]);
  w.u8(WIRE_VERSION);
  w.u8(encrypted ? FLAG_ENCRYPTED : 0);
  w.shortString(cluster, LIMITS.cluster, 'cluster', true);
  return w.finish();
}
