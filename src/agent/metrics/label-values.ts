// Every value of the enumerated labels, so each series is exported at 0 from the first scrape:
// a missing series and a zero one mean different things to PromQL (absent() vs. rate() = 0).
import type { DropReason } from '../core/types.js';
import type { MessageType } from '../wire/messages.js';

export const MESSAGE_TYPES = [
  'ping',
  'ping-req',
  'ack',
  'nack',
  'member',
  'user-event',
  'kv',
  'mail',
  'mail-ack',
  'ae-start',
  'ae-equal',
  'ae-tree',
  'ae-keys',
  'ae-entries',
  'query',
  'query-response',
  'ae-part',
] as const satisfies readonly MessageType[];

export const DROP_REASONS = [
  'malformed',
  'foreign-cluster',
  'bad-key',
  'oversize',
  'replay',
  'unsupported-version',
  'bad-record',
  'unverified-addr',
] as const satisfies readonly DropReason[];

/** Rumor kinds, the `kind` label of the spread and hop histograms. */
export const RUMOR_KINDS = ['member', 'user-event', 'kv'] as const;
export type RumorKind = (typeof RUMOR_KINDS)[number];

// Compile-time guards: adding a message type or drop reason to the wire/core types without
// listing it here fails the typecheck instead of silently leaving its series out.
type Exhaustive<All, Listed> = [Exclude<All, Listed>] extends [never] ? true : never;
const messageTypesComplete: Exhaustive<MessageType, (typeof MESSAGE_TYPES)[number]> = true;
const dropReasonsComplete: Exhaustive<DropReason, (typeof DROP_REASONS)[number]> = true;
void messageTypesComplete;
void dropReasonsComplete;
