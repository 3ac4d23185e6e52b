// Splits the records of one anti-entropy turn into chunks of bounded encoded size, so a state of any
// size crosses the stream as many bounded frames instead of one frame that the transport refuses.
import type { KvEntry, MemberRecord } from '../wire/messages.js';

/** Default bytes of records per chunk: below the 64 KiB a new connection's first frame may carry. */
export const DEFAULT_CHUNK_BYTES = 32 * 1024;

export interface RecordChunk {
  members: MemberRecord[];
  kv: KvEntry[];
}

/** Upper bound of a string's UTF-8 length plus its varint length prefix. */
function strBytes(s: string): number {
  return 3 * s.length + 3;
}

/** An upper bound of a member record's encoded size (cheap: no encoding). */
export function memberBytes(m: MemberRecord): number {
  let n = strBytes(m.name) + strBytes(m.addr) + 3 * 10;
  for (const [k, v] of Object.entries(m.tags)) n += strBytes(k) + strBytes(v);
  return n;
}

/** An upper bound of a key/value entry's encoded size. */
export function kvBytes(e: KvEntry): number {
  return strBytes(e.key) + (e.value?.length ?? 0) + 4 + strBytes(e.writer) + 2 * 10;
}

/**
 * Consecutive chunks of at most `budget` estimated bytes each (a record larger than the budget
 * travels alone). Always returns at least one chunk (possibly empty), in member-then-key order.
 */
export function chunkRecords(members: MemberRecord[], kv: KvEntry[], budget: number): RecordChunk[] {
  const chunks: RecordChunk[] = [{ members: [], kv: [] }];
  let used = 0;
  const room = (size: number): RecordChunk => {
    let last = chunks[chunks.length - 1]!;
    if (used > 0 && used + size > budget) {
      last = { members: [], kv: [] };
      chunks.push(last);
      used = 0;
    }
    used += size;
    return last;
  };
  for (const m of members) room(memberBytes(m)).members.push(m);
  for (const e of kv) room(kvBytes(e)).kv.push(e);
  return chunks;
}
