// Packet I/O: encoding and decoding packets (with the keyring and the replay window), counting
// what is sent, received and dropped, and topping datagrams up with rumors.
import type { Channel, DropReason } from '../base/types.js';
import type { Keyring } from '../wire/keyring.js';
import { encodedMessageType, encodeMessage } from '../wire/message-codec.js';
import type { Addr, Message, PacketSender } from '../wire/messages.js';
import {
  decodePacket,
  encodePrefixed,
  framedSize,
  type PacketPrefix,
  packetPrefix,
  prefixedOverhead,
  prefixMatches,
} from '../wire/packet-codec.js';
import { ReplayWindow } from '../wire/replay-window.js';
import type { CoreStats } from './types.js';

/** Stream packets (anti-entropy) may be far larger than a datagram. */
const MAX_STREAM_PACKET_BYTES = 16 * 1024 * 1024;

export interface PacketIOHost {
  readonly stats: CoreStats;
  cluster(): string;
  maxPacketBytes(): number;
  /** This node as it signs packets (the generation may change at run time). */
  sender(): Omit<PacketSender, 'seq'>;
  /** Rumors for piggybacking, fitting in `budget` bytes. */
  fill(budget: number, framedSize: (b: Uint8Array) => number): { bytes: Uint8Array }[];
  transmit(to: Addr, bytes: Uint8Array, channel: Channel): void;
}

export interface Inbound {
  sender: PacketSender;
  messages: Message[];
}

export class PacketIO {
  private keyring: Keyring | null;
  private replay: ReplayWindow | null;
  private packetSeq = 0;
  /**
   * This node's own header and sender bytes, re-encoded only when the cluster, the identity or the
   * encryption changes (one entry, never keyed on anything a peer sends), with the packet overhead
   * for a worst-case sequence number.
   */
  private own: { prefix: PacketPrefix; overhead: number } | null = null;

  constructor(
    private readonly host: PacketIOHost,
    keyring: Keyring | null,
  ) {
    this.keyring = keyring;
    this.replay = keyring ? new ReplayWindow() : null;
  }

  setKeyring(keyring: Keyring | null): void {
    this.keyring = keyring;
    if (!keyring) this.replay = null;
    else this.replay ??= new ReplayWindow();
  }

  /** Whether packets are sealed with a keyring (their sender is then authenticated). */
  get encrypted(): boolean {
    return this.keyring !== null;
  }

  forget(name: string): void {
    this.replay?.forget(name);
  }

  /** Encodes a message; it is counted as sent each time a packet carries it (see send). */
  encode(m: Message): Uint8Array {
    return encodeMessage(m);
  }

  /** Decodes and authenticates a packet; null (counted as a drop) when it is refused. */
  decode(bytes: Uint8Array, channel: Channel): Inbound | null {
    const { stats } = this.host;
    stats.packetsReceived++;
    stats.bytesReceived += bytes.length;
    const res = decodePacket(bytes, {
      cluster: this.host.cluster(),
      keyring: this.keyring,
      maxBytes: channel === 'datagram' ? this.host.maxPacketBytes() : MAX_STREAM_PACKET_BYTES,
    });
    if (!res.ok) {
      this.drop(res.reason);
      return null;
    }
    const { sender, messages } = res.packet;
    const self = this.host.sender();
    if (sender.name === self.name && sender.generation === self.generation) return null;
    if (this.replay && this.replay.check(sender.name, sender.generation, sender.seq) === 'replay') {
      this.drop('replay');
      return null;
    }
    for (const m of messages) stats.messagesReceived[m.t] = (stats.messagesReceived[m.t] ?? 0) + 1;
    return { sender, messages };
  }

  /**
   * Sends messages, topped up with rumors when `fill` is set; returns the bytes sent (0: nothing).
   * Every message is counted once per packet that carries it: each direct-mail copy, each retry,
   * each rumor each time it rides along - the counters are transmissions, never enqueues.
   */
  send(to: Addr, messages: Uint8Array[], channel: Channel, fill: boolean): number {
    const { stats } = this.host;
    if (fill) {
      let used = this.overhead();
      for (const m of messages) used += framedSize(m);
      for (const r of this.host.fill(this.host.maxPacketBytes() - used, framedSize)) messages.push(r.bytes);
    }
    if (messages.length === 0) return 0;
    for (const m of messages) {
      const t = encodedMessageType(m);
      if (t) stats.messagesSent[t] = (stats.messagesSent[t] ?? 0) + 1;
    }
    const bytes = encodePrefixed(this.ownPrefix().prefix, ++this.packetSeq, messages, this.keyring);
    stats.packetsSent++;
    stats.bytesSent += bytes.length;
    // Stream bytes of anti-entropy sessions (fallback probes and their acks are not counted here).
    if (channel === 'stream' && encodedMessageType(messages[0]!)?.startsWith('ae-')) {
      stats.antiEntropyBytes += bytes.length;
    }
    this.host.transmit(to, bytes, channel);
    return bytes.length;
  }

  /** Encodes and sends messages (see send). */
  sendMessages(to: Addr, messages: Message[], channel: Channel, fill: boolean): number {
    return this.send(
      to,
      messages.map((m) => this.encode(m)),
      channel,
      fill,
    );
  }

  private overhead(): number {
    return this.ownPrefix().overhead;
  }

  private ownPrefix(): { prefix: PacketPrefix; overhead: number } {
    const cluster = this.host.cluster();
    const self = this.host.sender();
    const encrypted = this.keyring !== null;
    if (this.own && prefixMatches(this.own.prefix, cluster, self, encrypted)) return this.own;
    const prefix = packetPrefix(cluster, self, encrypted);
    this.own = { prefix, overhead: prefixedOverhead(prefix, 2 ** 40) };
    return this.own;
  }

  drop(reason: DropReason): void {
    const { stats } = this.host;
    stats.dropped[reason] = (stats.dropped[reason] ?? 0) + 1;
  }
}
