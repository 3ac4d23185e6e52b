// The agent's side of cluster-wide key rotation (see key-ops.ts and docs/api.md#keys): as origin it
// sends the internal query and sums up the answers; as responder it applies the change to the live
// keyring and rewrites the keyring file atomically (temp file + rename), or keeps the change in memory
// when the file cannot be written (a read-only Secret mount) and says so.
import { renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { QueryRequestBody, QueryResult } from '../http/query-api.js';
import { KEY_BYTES, type Keyring } from '../wire/keyring.js';
import {
  applyKeyOp,
  type KeyOp,
  type KeyOpAnswer,
  keyFingerprint,
  keyQueryName,
  keyringFileText,
} from './key-ops.js';

export interface ClusterKeysHost {
  keyring(): Keyring | null;
  /** Applies a keyring to the core and the transport's check of new connections. */
  setKeyring(keyring: Keyring): void;
  keyringFile(): string | undefined;
  /** Sends a query (internal names allowed) and resolves when its timeout has passed. */
  query(req: QueryRequestBody): Promise<QueryResult>;
  /** Members this agent holds alive (itself included): how many answers to expect. */
  liveMembers(): number;
}

/** A request the origin refuses before sending anything (the API turns it into a 422). */
export class KeyOpRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyOpRefused';
  }
}

export interface KeyNodeResult extends KeyOpAnswer {
  node: string;
}

export interface KeysResult {
  op: KeyOp;
  /** Alive members the origin knew of when it sent the query (itself included). */
  members: number;
  answered: number;
  failed: number;
  /** One per answering node, by name. */
  nodes: KeyNodeResult[];
  /** `list` only: each key by fingerprint, on how many nodes, and primary on how many. */
  keys?: Array<{ fingerprint: string; nodes: number; primary: number }>;
}

export class ClusterKeys {
  constructor(private readonly host: ClusterKeysHost) {}

  /** Origin: runs `op` across the cluster. Throws KeyOpRefused for what must not be sent. */
  async run(op: KeyOp, key: Uint8Array | undefined, timeoutMs: number): Promise<KeysResult> {
    const current = this.host.keyring();
    if (current === null)
      throw new KeyOpRefused(
        'encryption is off: a key sent over a plaintext cluster would leak (start the agents with --keyring-file)',
      );
    const payload = op === 'list' ? new Uint8Array(0) : (key ?? new Uint8Array(0));
    if (op !== 'list' && payload.length !== KEY_BYTES)
      throw new KeyOpRefused(`a key must be ${KEY_BYTES} bytes (base64 from 'grapevine keygen')`);
    if (op === 'remove' && keyFingerprint(current.primary) === keyFingerprint(payload))
      throw new KeyOpRefused("this key is the primary key: 'keys use' another key first");
    const members = this.host.liveMembers();
    const r = await this.host.query({
      name: keyQueryName(op),
      payload,
      filters: { nodes: [], tags: [] },
      ack: false,
      timeoutMs,
    });
    const nodes = r.responses
      .map((x): KeyNodeResult => ({ node: x.from, ...parseAnswer(x.payload) }))
      .sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
    const result: KeysResult = {
      op,
      members,
      answered: nodes.length,
      failed: nodes.filter((n) => !n.ok).length,
      nodes,
    };
    if (op === 'list') result.keys = summarize(nodes);
    return result;
  }

  /** Responder: applies `op` to the live keyring (and the file); the answer goes back to the origin. */
  answer(op: KeyOp, key: Uint8Array): KeyOpAnswer {
    const outcome = applyKeyOp(this.host.keyring(), op, key);
    if (!outcome.ok) return { ok: false, error: outcome.error };
    const keys = outcome.next.keys.map(keyFingerprint);
    if (!outcome.changed) return { ok: true, keys };
    this.host.setKeyring(outcome.next);
    return { ok: true, keys, ...this.persist(outcome.next) };
  }

  private persist(keyring: Keyring): Pick<KeyOpAnswer, 'persisted' | 'note'> {
    const file = this.host.keyringFile();
    if (file === undefined) return { persisted: false, note: 'no keyring file: changed in memory only' };
    const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
    try {
      writeFileSync(tmp, keyringFileText(keyring), { mode: 0o600 });
      renameSync(tmp, file);
      return { persisted: true };
    } catch (err) {
      try {
        unlinkSync(tmp);
      } catch {
        // never created
      }
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      return {
        persisted: false,
        note: `keyring file not writable (${code}): changed in memory only, until a restart or a change of the file`,
      };
    }
  }
}

function parseAnswer(text: string): KeyOpAnswer {
  try {
    const a = JSON.parse(text) as unknown;
    if (typeof a === 'object' && a !== null && typeof (a as KeyOpAnswer).ok === 'boolean') {
      const { ok, error, persisted, note, keys } = a as KeyOpAnswer;
      return {
        ok,
        ...(typeof error === 'string' ? { error } : {}),
        ...(typeof persisted === 'boolean' ? { persisted } : {}),
        ...(typeof note === 'string' ? { note } : {}),
        ...(Array.isArray(keys) ? { keys: keys.filter((k): k is string => typeof k === 'string') } : {}),
      };
    }
  } catch {
    // fall through
  }
  return { ok: false, error: 'unreadable answer' };
}

function summarize(nodes: KeyNodeResult[]): NonNullable<KeysResult['keys']> {
  const byKey = new Map<string, { fingerprint: string; nodes: number; primary: number }>();
  for (const n of nodes) {
    for (const [i, fp] of (n.keys ?? []).entries()) {
      const k = byKey.get(fp) ?? { fingerprint: fp, nodes: 0, primary: 0 };
      k.nodes++;
      if (i === 0) k.primary++;
      byKey.set(fp, k);
    }
  }
  return [...byKey.values()].sort((a, b) => b.primary - a.primary || b.nodes - a.nodes);
}
