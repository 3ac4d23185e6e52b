// Membership: the member table, the view digest, this node's own record, merging records that
// arrive (by rumor, mail, anti-entropy or from our own probes), refuting news about ourselves,
// and reaping the dead. Suspicion timers and gossip are the host's; this module decides.
import type { EngineConfig } from '../config/engine-schema.js';
import type { DigestTree } from '../state/digest-tree.js';
import { hashMemberRecord, memberKey } from '../state/entry-hash.js';
import { hashId, xorHash } from '../state/hash64.js';
import { compareMembers } from '../state/member-merge.js';
import type { Addr, Hash64, MemberRecord, MemberState, Message, RumorMeta } from '../wire/messages.js';
import { type ForceLeaveDecision, forceLeaveDecision } from './force-leave.js';
import type { LocalHealth } from './local-health.js';
import { isLivePeer, type MemberEntry, type MemberStore } from './member-table.js';
import { ReapedMembers } from './reaped-members.js';
import { MAX_GENERATION, MAX_INCARNATION, memberProblem } from './record-bounds.js';
import { suspicionTimeouts } from './suspicion.js';
import type { Suspicions } from './suspicions.js';
import type { CoreEvent, CoreStats, Via } from './types.js';
import { viewEntryHash } from './view-hash.js';

export interface MembershipHost {
  readonly tree: DigestTree;
  readonly suspicions: Suspicions;
  readonly health: LocalHealth;
  readonly stats: CoreStats;
  config(): EngineConfig;
  event(e: CoreEvent): void;
  /** News worth spreading: rumor it (it is already about someone else). */
  rumor(m: Message): void;
  /** Our own record changed: rumor it and mail it to peers. */
  announce(m: Message, now: number): void;
  /** The member is dead or left: undelivered mail to it is dropped. */
  peerGone(name: string): void;
  /** The member was reaped: forget per-member state (replay window). */
  reaped(name: string): void;
  /** A record from a peer was outside sane bounds and was dropped; `detail` says why. */
  badRecord(detail: string): void;
}

export interface SelfInit {
  name: string;
  addr: Addr;
  generation: number;
  tags: Record<string, string>;
}

export class Membership {
  readonly name: string;
  readonly addr: Addr;
  private gen: number;
  private incarnation = 0;
  private tags: Record<string, string>;
  private leavingFlag = false;
  /** Dead and left members, so reaping and reconnecting never scan the whole view. */
  private readonly mortals = new Set<string>();
  /** Versions reaped here: a peer's late copy of the same record is not taken back in. */
  private readonly reaped = new ReapedMembers();

  constructor(
    self: SelfInit,
    private readonly host: MembershipHost,
    readonly table: MemberStore,
    private viewHash: Hash64,
    now: number,
  ) {
    this.name = self.name;
    this.addr = self.addr;
    this.gen = self.generation;
    this.tags = { ...self.tags };
    this.put({ ...self, incarnation: 0, state: 'alive', tags: this.tags }, now);
  }

  /** This process's generation: its start stamp, raised when a record about us claims a newer one. */
  get generation(): number {
    return this.gen;
  }

  get leaving(): boolean {
    return this.leavingFlag;
  }

  self(): MemberRecord {
    return this.table.get(this.name)!.record;
  }

  get(name: string): MemberEntry | undefined {
    return this.table.get(name);
  }

  records(): MemberRecord[] {
    return [...this.table.entries()].map((e) => e.record);
  }

  counts(): Readonly<Record<MemberState, number>> {
    return this.table.counts;
  }

  /** Alive and suspect members, ourselves included. */
  liveCount(): number {
    return this.table.counts.alive + this.table.counts.suspect;
  }

  viewDigest(): string {
    return hashId(this.viewHash);
  }

  isLivePeer(e: MemberEntry): boolean {
    return isLivePeer(e, this.name);
  }

  /** Addresses of the live members other than this node. */
  livePeerAddrs(): Set<Addr> {
    const out = new Set<Addr>();
    for (const e of this.table.entries()) if (isLivePeer(e, this.name)) out.add(e.record.addr);
    return out;
  }

  /** Addresses of dead members (partition healing talks to them now and then). */
  deadAddrs(): Addr[] {
    const out: Addr[] = [];
    for (const name of this.mortals) {
      const e = this.table.get(name);
      if (e && e.record.state === 'dead') out.push(e.record.addr);
    }
    return out;
  }

  /** Graceful leave: announce `left` (final, unlike `dead`). */
  leave(now: number): void {
    this.leavingFlag = true;
    const rec: MemberRecord = { ...this.self(), state: 'left' };
    this.put(rec, now);
    this.host.announce(memberMessage(rec, this.name, localRumor(this.name, now)), now);
  }

  /**
   * force-leave: marks a dead member `left` (see force-leave.ts) and spreads it as a membership
   * update; refuses ourselves, unknown, alive and suspect members without changing anything.
   */
  forceLeave(name: string, now: number): ForceLeaveDecision {
    const d = forceLeaveDecision(this.name, name, this.table.get(name)?.record);
    if (d.ok && d.previous === 'dead')
      this.apply(d.record, this.name, 'local', localRumor(this.name, now), now);
    return d;
  }

  setTags(tags: Record<string, string>, now: number): void {
    this.tags = { ...tags };
    this.bumpSelf(now, this.incarnation + 1, true);
  }

  /**
   * Merges a record about a member; returns true when it changed local state. `mail`: a change is
   * also sent straight to peers (direct mail), not only rumored.
   */
  apply(
    rec: MemberRecord,
    from: string,
    via: Via,
    rumor: RumorMeta | null,
    now: number,
    mail = false,
  ): boolean {
    const problem = via === 'local' ? null : memberProblem(rec, now);
    if (problem !== null) {
      this.host.badRecord(`member record from ${from} (${via}): ${problem}`);
      return false;
    }
    if (rec.name === this.name) return this.aboutSelf(rec, now);
    const cur = this.table.get(rec.name);
    if (!cur) {
      // A member we do not hold: take any record of it (a joiner must learn who left or died, or a
      // stale `alive` could bring them back), unless it is a late copy of one we reaped.
      if (this.reaped.covers(rec)) return false;
      this.reaped.forget(rec.name);
    } else if (compareMembers(rec, cur.record) <= 0) {
      // The same join as the property tests cover: older, or an equal version that loses the
      // content tie-break, changes nothing.
      if (rec.state === 'suspect' && cur.record.state === 'suspect' && sameVersion(rec, cur.record)) {
        // An independent confirmation shortens the timeout and is worth passing on.
        if (this.host.suspicions.confirm(rec.name, from) && rumor) {
          this.host.rumor(memberMessage(rec, from, rumor));
        }
      }
      return false;
    }
    const previous = cur?.record.state ?? null;
    this.put(rec, now);
    this.host.suspicions.clear(rec.name);
    if (rec.state === 'suspect') {
      const cfg = this.host.config();
      const t = suspicionTimeouts(
        this.liveCount(),
        cfg.probeIntervalMs,
        cfg.suspicionMult,
        cfg.suspicionMaxTimeoutMult,
        cfg.suspicionConfirmations,
      );
      this.host.suspicions.start(rec, from, t, now);
    }
    if (rec.state === 'dead' || rec.state === 'left') this.host.peerGone(rec.name);
    this.host.event({ type: 'member', member: rec, previous, via, rumor });
    // Anti-entropy repairs what it finds by itself; only news a member must hear (to refute it, or
    // to learn of a newcomer through the peer it joined) is turned into rumors from there. A member
    // we did not hold at all (a joiner learning the view) is old news to the peer that sent it.
    const spread = via !== 'anti-entropy' || cur !== undefined || from === rec.name;
    if (spread) {
      const m = memberMessage(rec, from, rumor ?? localRumor(this.name, now));
      if (mail) this.host.announce(m, now);
      else this.host.rumor(m);
    }
    return true;
  }

  /**
   * Our probe of `target` failed: suspect it, or count as a confirmation if it already is. When its
   * host refused the fallback connection, nothing listens at its address: its process is gone (a
   * frozen or partitioned one does not refuse), so no refutation can come, and our suspicion
   * expires after refusedSuspicionTimeoutMs at the latest instead of waiting out Lifeguard's timeout.
   */
  probeFailed(target: string, now: number, refused: boolean): void {
    const e = this.table.get(target);
    if (e && e.record.state === 'alive') {
      this.host.stats.suspicionsRaised++;
      this.apply({ ...e.record, state: 'suspect' }, this.name, 'local', localRumor(this.name, now), now);
    } else if (e?.record.state === 'suspect' && this.host.suspicions.confirm(target, this.name)) {
      // Our own failed probe is an independent confirmation: others' timeouts shrink with it too.
      this.host.rumor(memberMessage(e.record, this.name, localRumor(this.name, now)));
    }
    if (refused && this.table.get(target)?.record.state === 'suspect')
      this.host.suspicions.cap(target, now + this.host.config().refusedSuspicionTimeoutMs);
  }

  /** The suspicion timer of `name` ran out: declare it dead if the suspected version still holds. */
  suspicionExpired(name: string, now: number): void {
    const s = this.host.suspicions.expired(name, now);
    if (!s) return;
    const e = this.table.get(name);
    if (e?.record.state !== 'suspect') return;
    if (e.record.incarnation !== s.incarnation || e.record.generation !== s.generation) return;
    this.host.stats.deathsDeclared++;
    // A death is mailed to every peer (Demers' direct mail), not only rumored: a rumor's residue
    // left some survivors to find it on their own timers, a second or more later. Deaths are rare,
    // and the first one mailed clears the others' timers, so few nodes mail the same death.
    this.apply({ ...e.record, state: 'dead' }, this.name, 'local', localRumor(this.name, now), now, true);
  }

  /** Our arrival is a local update: announce ourselves once a join taught us who the peers are. */
  announceSelf(now: number): void {
    this.host.announce(memberMessage(this.self(), this.name, localRumor(this.name, now)), now);
  }

  /** Forgets dead and left members after deadReapMs. */
  reap(now: number): void {
    const after = this.host.config().deadReapMs;
    for (const name of [...this.mortals]) {
      const e = this.table.get(name);
      if (e && now - e.changedAt >= after) this.remove(name);
    }
  }

  /**
   * Someone says something about us that would win the join against our own record (a suspicion or
   * death at our version, or a newer generation or incarnation — a restart after a clock step, a
   * stale record from a run with a clock ahead, or a forgery): take a version above it and
   * re-announce, so the cluster sees us alive again.
   */
  private aboutSelf(rec: MemberRecord, now: number): boolean {
    if (this.leavingFlag || compareMembers(rec, this.self()) <= 0) return false;
    // Alive at another address: another process claims our name (the newer run of a restart, or a
    // misconfiguration). Outbidding it would make two live processes raise each other forever; once
    // that process is gone, its record turns dead and is refuted here.
    if (rec.state === 'alive' && rec.addr !== this.addr) return false;
    if (rec.state !== 'alive') this.host.stats.suspicionsRefuted++;
    this.host.health.apply(1);
    // Refutations are rumored, not direct-mailed: the news they answer travels by rumor too, and
    // mailing every refutation to maxPeers peers (with retries) was most of the load under loss.
    if (rec.generation > this.gen || rec.incarnation >= MAX_INCARNATION) {
      // A newer generation (or an incarnation we cannot raise): move to the next generation.
      this.gen = Math.min(MAX_GENERATION, Math.max(this.gen, rec.generation) + 1);
      this.bumpSelf(now, 0, false);
    } else {
      this.bumpSelf(now, rec.incarnation + 1, false);
    }
    return false;
  }

  /** A new version of our own record; `mail` sends it straight to peers as well as rumoring it. */
  private bumpSelf(now: number, incarnation: number, mail: boolean): void {
    this.incarnation = incarnation;
    const rec: MemberRecord = {
      ...this.self(),
      generation: this.gen,
      incarnation,
      tags: this.tags,
      state: this.leavingFlag ? 'left' : 'alive',
    };
    this.put(rec, now);
    const m = memberMessage(rec, this.name, localRumor(this.name, now));
    if (mail) this.host.announce(m, now);
    else this.host.rumor(m);
  }

  private put(rec: MemberRecord, now: number): void {
    const old = this.table.get(rec.name);
    if (old) this.viewHash = xorHash(this.viewHash, viewEntryHash(old.record));
    this.viewHash = xorHash(this.viewHash, viewEntryHash(rec));
    this.table.set({ record: rec, changedAt: now });
    this.host.tree.set(memberKey(rec.name), hashMemberRecord(rec));
    if (rec.state === 'dead' || rec.state === 'left') this.mortals.add(rec.name);
    else this.mortals.delete(rec.name);
  }

  private remove(name: string): void {
    const old = this.table.get(name);
    if (!old) return;
    this.viewHash = xorHash(this.viewHash, viewEntryHash(old.record));
    this.reaped.add(old.record);
    this.table.delete(name);
    this.host.tree.delete(memberKey(name));
    this.mortals.delete(name);
    this.host.suspicions.clear(name);
    this.host.reaped(name);
    this.host.event({ type: 'member-reaped', name });
  }
}

export function memberMessage(member: MemberRecord, from: string, rumor: RumorMeta): Message {
  return { t: 'member', rumor, member, from };
}

/** Rumor metadata for news that starts here. */
export function localRumor(origin: string, now: number): RumorMeta {
  return { origin, originTime: Math.floor(now), hops: 0 };
}

function sameVersion(a: MemberRecord, b: MemberRecord): boolean {
  return a.generation === b.generation && a.incarnation === b.incarnation;
}
