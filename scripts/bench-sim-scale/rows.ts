// One row per simulator run of the scale bench, as written to its JSON and drawn by its plots.
import type { SimRun } from '../simulate-cli.js';

export interface SpreadRow {
  nodes: number;
  directMail: boolean;
  informed: number | null;
  hopsP999: number | null;
  hopsP100: number | null;
  pushBound: number;
  timeP999S: number | null;
  timeP100S: number | null;
  command: string;
  wallS: number;
}

export interface LoadRow {
  nodes: number;
  loss: number;
  packetsPerNodeS: number;
  protocolMsgsPerNodeS: number;
  bytesPerNodeS: number;
  falseDeaths: number;
  command: string;
  wallS: number;
}

export interface AntiEntropyRow {
  nodes: number;
  keys: number;
  divergent: number;
  repairS: number | null;
  bytesUntilRepaired: number | null;
  repairBytes: number | null;
  exchanges: number | null;
  command: string;
  wallS: number;
}

export function spreadRow({ report: r, command, processWallS }: SimRun): SpreadRow {
  return {
    nodes: r.nodes,
    directMail: r.direct_mail,
    informed: r.informed,
    hopsP999: r.hops_p999,
    hopsP100: r.hops_p100,
    pushBound: r.bound_rounds,
    timeP999S: r.time_p999_s,
    timeP100S: r.time_p100_s,
    command,
    wallS: processWallS,
  };
}

export function loadRow({ report: r, command, processWallS }: SimRun): LoadRow {
  return {
    nodes: r.nodes,
    loss: r.loss,
    packetsPerNodeS: r.msgs_per_node_per_s,
    protocolMsgsPerNodeS: r.protocol_msgs_per_node_per_s,
    bytesPerNodeS: r.bytes_per_node_per_s,
    falseDeaths: r.false_deaths,
    command,
    wallS: processWallS,
  };
}

export function antiEntropyRow({ report: r, command, processWallS }: SimRun): AntiEntropyRow {
  return {
    nodes: r.nodes,
    keys: r.keys ?? 0,
    divergent: r.divergent ?? 0,
    repairS: r.repair_s,
    bytesUntilRepaired: r.antientropy_bytes,
    repairBytes: r.antientropy_repair_bytes,
    exchanges: r.antientropy_exchanges,
    command,
    wallS: processWallS,
  };
}
