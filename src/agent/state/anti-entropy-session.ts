// The protocol logic of anti-entropy exchanges (sans-IO): compare digest trees top-down, then swap
// only the entries that differ.
//
// Protocol. The exchange proceeds in turns; a turn is the batch of ae-* messages of one session that
// one side sends in one packet (stream channel). The receiver handles the whole batch at once
// (handle() takes every ae-* message of the packet) and answers with one batch.
// 1. The initiator sends ae-start{session, mode, root, count}.
// 2. A side that receives node digests (the root in ae-start, children in ae-tree) compares each
//    with its own node; for every node that differs (hash or count):
//    - if the node is a leaf, or this side holds ≤ keysThreshold keys under it, it sends its key
//      digests for the node (ae-keys: subtrees + keys). If the other side is the one with few keys,
//      descending once more lets *it* send the keys, so big key lists never cross the wire;
//    - otherwise it sends its digests of the node's 16 children (ae-tree).
//    Shortcuts: a node where the other side holds nothing (count 0) is answered at once with all our
//    records below it (ae-entries), so a brand-new node is filled in two messages; a node where we
//    hold nothing and may not receive is skipped.
// 3. The receiver of ae-keys compares them with its own keys in the same subtrees and answers
//    ae-entries with its full records of keys that differ or that the other side lacks (only if the
//    mode lets data flow that way) and `want` = key hashes it lacks or holds differently (only if
//    the mode lets data flow towards it).
// 4. The receiver of ae-entries applies them (only if data may flow towards it) and, if `want` is
//    non-empty, answers with its records of those keys and want = [].
// Different differing subtrees proceed independently, so one batch may carry ae-entries, ae-tree and
// ae-keys together. Equal roots end the exchange after ae-start + ae-equal.
//
// Chunking. Records are the only part of a turn whose size follows the size of the state (a joiner
// gets everything); the digests are bounded by NODE_LIMIT. When a turn's records exceed partBytes,
// all but the last chunk go ahead as ae-part messages, one per packet (outcome.parts), and the last
// chunk rides in the turn's ae-entries. Each part is self-contained: the receiver applies it at once
// (nothing is buffered beyond one frame), does not answer it and keeps the session open, idle timeout
// re-armed, until the packet that ends the turn. A failed send aborts the session (abort(peer)).
//
// Termination: ae-equal and ae-entries with an empty want are terminal; everything else expects an
// answer. A side whose received batch expected an answer but has nothing to say sends ae-equal
// ("nothing more"). A side is done when it sends a batch of terminal messages only, or receives one.
// Sessions idle for longer than timeoutMs are dropped by expire() (or on the next call).
//
// Mode: 'push' moves data initiator → responder only, 'pull' responder → initiator only,
// 'push-pull' both ways. Each side enforces its own direction, also against a misbehaving peer.
//
// Session identity is (peer, session number). If a peer's ae-start reuses the number of a session
// this node initiated towards that same peer, the ae-start is ignored (the peer times out and
// retries); start() picks the next free number for the same reason.
import type {
  AntiEntropyMode,
  Hash64,
  KeyDigest,
  KvEntry,
  MemberRecord,
  Message,
  TreeNodeDigest,
} from '../wire/messages.js';
import { type DigestTree, isTreeNode, TREE_LEAF_LEVEL } from './digest-tree.js';
import { hashEquals, hashId } from './hash64.js';
import { chunkRecords, DEFAULT_CHUNK_BYTES } from './record-chunks.js';

export type ReplicatedRecord = { kind: 'member'; member: MemberRecord } | { kind: 'kv'; entry: KvEntry };

/** What anti-entropy needs from the node's replicated state. */
export interface ReplicatedState {
  /** Digest of every replicated record, keyed by memberKey(name) / kvKey(key). */
  readonly tree: DigestTree;
  /** The record stored under a digest-tree key. */
  recordFor(treeKey: string): ReplicatedRecord | undefined;
  /** Merges received records (keeping the tree in sync); returns how many changed local state. */
  apply(members: MemberRecord[], kv: KvEntry[], now: number): number;
}

export type AntiEntropyRole = 'initiator' | 'responder';

export interface AntiEntropyOptions {
  /** A session idle for longer than this is dropped. */
  timeoutMs: number;
  /** Below this many keys under a differing node, send key digests instead of descending. */
  keysThreshold?: number;
  /** Concurrent sessions kept; the least recently active is dropped beyond this. */
  maxSessions?: number;
  /** Estimated record bytes per packet; more go ahead in ae-part packets. Default DEFAULT_CHUNK_BYTES. */
  partBytes?: number;
}

/** The result of handling one session's messages. */
export interface AntiEntropyOutcome {
  peer: string;
  session: number;
  role: AntiEntropyRole;
  mode: AntiEntropyMode;
  /** Send each of these alone, one packet each and in order, before `messages` (chunked records). */
  parts: Message[];
  /** Send these to the peer together, in one packet on the stream channel (after `parts`). */
  messages: Message[];
  /** Records received in this turn that changed local state. */
  applied: number;
  /** Records applied over the whole session so far. */
  totalApplied: number;
  /** The session is over on this side (its state is gone). */
  done: boolean;
  /**
   * The exchange ended at the root: on the responder, the roots were equal; on the initiator, the
   * first answer was ae-equal (equal roots, or nothing the mode lets flow, e.g. a push of an empty state).
   */
  equal: boolean;
}

interface Session {
  peer: string;
  id: number;
  role: AntiEntropyRole;
  mode: AntiEntropyMode;
  lastActive: number;
  turns: number;
  applied: number;
  equal: boolean;
}

const MODES: ReadonlySet<string> = new Set(['push', 'pull', 'push-pull']);
const NODE_LIMIT = 1 + 16 + 256 + 4096;

type AeMessage = Extract<
  Message,
  { t: 'ae-start' | 'ae-equal' | 'ae-tree' | 'ae-keys' | 'ae-entries' | 'ae-part' }
>;
type AeStart = Extract<Message, { t: 'ae-start' }>;

function isAeMessage(m: Message): m is AeMessage {
  return (
    m.t === 'ae-start' ||
    m.t === 'ae-equal' ||
    m.t === 'ae-tree' ||
    m.t === 'ae-keys' ||
    m.t === 'ae-entries' ||
    m.t === 'ae-part'
  );
}

function expectsAnswer(m: Message): boolean {
  return (
    m.t === 'ae-start' ||
    m.t === 'ae-tree' ||
    m.t === 'ae-keys' ||
    (m.t === 'ae-entries' && m.want.length > 0)
  );
}

/** Whether records may flow out of (`out`) or into this side, for its role and the mode. */
function flows(role: AntiEntropyRole, mode: AntiEntropyMode, dir: 'out' | 'in'): boolean {
  if (mode === 'push-pull') return true;
  const initiatorSends = mode === 'push';
  return (role === 'initiator') === (dir === 'out') ? initiatorSends : !initiatorSends;
}

function sessionKey(peer: string, id: number): string {
  return `${id}|${peer}`;
}

export class AntiEntropy {
  private readonly sessions = new Map<string, Session>();
  private readonly timeoutMs: number;
  private readonly keysThreshold: number;
  private readonly maxSessions: number;
  private readonly partBytes: number;

  constructor(
    private readonly state: ReplicatedState,
    options: AntiEntropyOptions,
  ) {
    this.timeoutMs = options.timeoutMs;
    this.keysThreshold = options.keysThreshold ?? 16;
    this.maxSessions = Math.max(1, options.maxSessions ?? 64);
    this.partBytes = Math.max(1, options.partBytes ?? DEFAULT_CHUNK_BYTES);
  }

  /** Sessions dropped so far to stay within maxSessions. */
  evicted = 0;

  get activeSessions(): number {
    return this.sessions.size;
  }

  /** Opens a session towards peer; returns the ae-start to send (its session number may be bumped). */
  start(peer: string, session: number, mode: AntiEntropyMode, now: number): Message {
    this.expire(now);
    let id = session >>> 0;
    while (this.sessions.has(sessionKey(peer, id))) id = (id + 1) >>> 0;
    this.open({ peer, id, role: 'initiator', mode, lastActive: now, turns: 0, applied: 0, equal: false });
    const root = this.state.tree.root();
    return { t: 'ae-start', session: id, mode, root: root.hash, count: root.count };
  }

  /**
   * Handles the ae-* messages of one packet from peer (others are ignored). Returns one outcome per
   * known session touched; messages of unknown or expired sessions are dropped without an answer.
   */
  handle(peer: string, messages: readonly Message[], now: number): AntiEntropyOutcome[] {
    this.expire(now);
    const bySession = new Map<number, Message[]>();
    for (const m of messages) {
      if (!isAeMessage(m)) continue;
      const id = m.session;
      const list = bySession.get(id);
      if (list) list.push(m);
      else bySession.set(id, [m]);
    }
    const outcomes: AntiEntropyOutcome[] = [];
    for (const [id, batch] of bySession) {
      const outcome = this.turn(peer, id, batch, now);
      if (outcome) outcomes.push(outcome);
    }
    return outcomes;
  }

  /** Drops sessions idle for longer than the timeout; returns how many. */
  expire(now: number): number {
    let dropped = 0;
    for (const [key, s] of this.sessions) {
      if (now - s.lastActive > this.timeoutMs) {
        this.sessions.delete(key);
        dropped++;
      }
    }
    return dropped;
  }

  /** Drops every session with peer (e.g. a send to it failed); returns the sessions dropped. */
  abort(peer: string): Array<{ role: AntiEntropyRole; mode: AntiEntropyMode }> {
    const dropped: Array<{ role: AntiEntropyRole; mode: AntiEntropyMode }> = [];
    for (const [key, s] of this.sessions) {
      if (s.peer === peer) {
        this.sessions.delete(key);
        dropped.push({ role: s.role, mode: s.mode });
      }
    }
    return dropped;
  }

  private open(s: Session): void {
    const key = sessionKey(s.peer, s.id);
    this.sessions.delete(key);
    this.sessions.set(key, s);
    // Map order follows open/touch order, so the front is the least recently active.
    for (const k of this.sessions.keys()) {
      if (this.sessions.size <= this.maxSessions) break;
      this.sessions.delete(k);
      this.evicted++;
    }
  }

  private turn(peer: string, id: number, batch: Message[], now: number): AntiEntropyOutcome | null {
    const key = sessionKey(peer, id);
    let s = this.sessions.get(key);
    const start = batch.find((m): m is AeStart => m.t === 'ae-start');
    if (start) {
      if (s !== undefined || !MODES.has(start.mode)) return null;
      s = {
        peer,
        id,
        role: 'responder',
        mode: start.mode,
        lastActive: now,
        turns: 0,
        applied: 0,
        equal: false,
      };
      this.open(s);
    } else if (s === undefined) return null;
    else this.open(s);
    s.lastActive = now;
    const canSend = flows(s.role, s.mode, 'out');
    const canReceive = flows(s.role, s.mode, 'in');
    // A packet of parts only: more of the peer's turn follows; apply, keep the session, stay silent.
    const partsOnly = batch.every((m) => m.t === 'ae-part');
    if (!partsOnly) s.turns++;
    const tree = this.state.tree;
    const sendKeys = new Set<string>();
    const want: Hash64[] = [];
    const nodes: TreeNodeDigest[] = [];
    const subtrees: Array<{ level: number; index: number }> = [];
    const keys: KeyDigest[] = [];

    // Records first, so the comparisons below see the merged state.
    let applied = 0;
    if (canReceive) {
      const members: MemberRecord[] = [];
      const kv: KvEntry[] = [];
      for (const m of batch) {
        if (m.t !== 'ae-entries' && m.t !== 'ae-part') continue;
        members.push(...m.members);
        kv.push(...m.kv);
      }
      if (members.length > 0 || kv.length > 0) applied = this.state.apply(members, kv, now);
    }
    s.applied += applied;
    if (partsOnly) return this.outcome(s, [], [], applied, false);

    let budget = NODE_LIMIT;
    const compare = (theirs: TreeNodeDigest): void => {
      if (budget-- <= 0 || !isTreeNode(theirs.level, theirs.index)) return;
      const mine = tree.node(theirs.level, theirs.index);
      if (mine.count === theirs.count && hashEquals(mine.hash, theirs.hash)) return;
      if (theirs.count === 0) {
        // They hold nothing here: send everything (if we may) without walking further.
        if (canSend) for (const k of tree.namedKeysIn(theirs.level, theirs.index)) sendKeys.add(k.key);
        return;
      }
      if (mine.count === 0 && !canReceive) return;
      if (theirs.level === TREE_LEAF_LEVEL || mine.count <= this.keysThreshold) {
        subtrees.push({ level: theirs.level, index: theirs.index });
        keys.push(...tree.keysIn(theirs.level, theirs.index));
      } else nodes.push(...tree.children(theirs.level, theirs.index));
    };

    for (const m of batch) {
      switch (m.t) {
        case 'ae-start': {
          const mine = tree.root();
          s.equal = mine.count === m.count && hashEquals(mine.hash, m.root);
          compare({ level: 0, index: 0, hash: m.root, count: m.count });
          break;
        }
        case 'ae-equal':
          if (s.role === 'initiator' && s.turns === 1) s.equal = true;
          break;
        case 'ae-tree':
          for (const n of m.nodes) compare(n);
          break;
        case 'ae-keys':
          this.compareKeys(m.subtrees, m.keys, canSend, canReceive, sendKeys, want);
          break;
        case 'ae-entries':
          if (canSend) {
            for (const h of m.want) {
              const k = tree.keyFor(h);
              if (k !== undefined) sendKeys.add(k);
            }
          }
          break;
      }
    }

    const out: Message[] = [];
    const parts: Message[] = [];
    if (sendKeys.size > 0 || want.length > 0) {
      const members: MemberRecord[] = [];
      const kv: KvEntry[] = [];
      for (const k of sendKeys) {
        const r = this.state.recordFor(k);
        if (r?.kind === 'member') members.push(r.member);
        else if (r?.kind === 'kv') kv.push(r.entry);
      }
      const chunks = chunkRecords(members, kv, this.partBytes);
      const last = chunks.pop()!;
      for (const c of chunks) parts.push({ t: 'ae-part', session: id, members: c.members, kv: c.kv });
      out.push({ t: 'ae-entries', session: id, members: last.members, kv: last.kv, want });
    }
    if (nodes.length > 0) out.push({ t: 'ae-tree', session: id, nodes });
    if (subtrees.length > 0) out.push({ t: 'ae-keys', session: id, subtrees, keys });
    if (out.length === 0 && batch.some(expectsAnswer)) out.push({ t: 'ae-equal', session: id });

    const done = out.every((m) => !expectsAnswer(m));
    if (done) this.sessions.delete(key);
    return this.outcome(s, parts, out, applied, done);
  }

  private outcome(
    s: Session,
    parts: Message[],
    messages: Message[],
    applied: number,
    done: boolean,
  ): AntiEntropyOutcome {
    return {
      peer: s.peer,
      session: s.id,
      role: s.role,
      mode: s.mode,
      parts,
      messages,
      applied,
      totalApplied: s.applied,
      done,
      equal: s.equal,
    };
  }

  /** Step 3: their key digests against ours in the same subtrees. */
  private compareKeys(
    subtrees: ReadonlyArray<{ level: number; index: number }>,
    theirKeys: readonly KeyDigest[],
    canSend: boolean,
    canReceive: boolean,
    sendKeys: Set<string>,
    want: Hash64[],
  ): void {
    const tree = this.state.tree;
    const theirs = new Map<string, Hash64>();
    for (const k of theirKeys) theirs.set(hashId(k.keyHash), k.entryHash);
    const mine = new Map<string, Hash64>();
    let budget = NODE_LIMIT;
    for (const st of subtrees) {
      if (budget-- <= 0 || !isTreeNode(st.level, st.index)) continue;
      for (const k of tree.namedKeysIn(st.level, st.index)) {
        const id = hashId(k.keyHash);
        if (mine.has(id)) continue; // overlapping subtrees from a confused peer
        mine.set(id, k.entryHash);
        const t = theirs.get(id);
        if (canSend && (t === undefined || !hashEquals(t, k.entryHash))) sendKeys.add(k.key);
      }
    }
    if (!canReceive) return;
    for (const k of theirKeys) {
      const id = hashId(k.keyHash);
      const m = mine.get(id);
      if (m === undefined || !hashEquals(m, k.entryHash)) {
        want.push(k.keyHash);
        mine.set(id, k.entryHash); // want each key once
      }
    }
  }
}
