// CPU time and resident memory of processes (from /proc), and the bytes that crossed this network
// namespace's loopback (from /sys, which `ip netns exec` mounts for the namespace).
import { readFileSync } from 'node:fs';

/** Linux's USER_HZ: /proc reports CPU times in these ticks (100 on every mainstream kernel config). */
const TICKS_PER_SECOND = 100;

/** User + system CPU seconds used by pid so far. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start at state, field 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** A numeric field of /proc/PID/status, e.g. ("VmRSS", "kB") in "VmRSS:  1234 kB" gives 1234. */
function statusNumber(status: string, pid: number, field: string, unit = ''): number {
  const value = new RegExp(`^${field}:\\s+(\\d+)${unit === '' ? '' : ` ${unit}`}$`, 'm').exec(status)?.[1];
  if (value === undefined) throw new Error(`no ${field} for pid ${pid}`);
  return Number(value);
}

/**
 * Context switches of pid's main thread so far (voluntary + involuntary, /proc/PID/status): for an
 * event-loop process, about one per wake-up of its loop.
 */
export function mainThreadSwitches(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return (
    statusNumber(status, pid, 'voluntary_ctxt_switches') +
    statusNumber(status, pid, 'nonvoluntary_ctxt_switches')
  );
}

/** Resident set size of pid, in MB (VmRSS). */
export function rssMb(pid: number): number {
  return statusNumber(readFileSync(`/proc/${pid}/status`, 'utf8'), pid, 'VmRSS', 'kB') / 1024;
}

/** Bytes sent over `lo` in the current namespace (every loopback packet is sent once). */
export function loopbackTxBytes(): number {
  return Number(readFileSync('/sys/class/net/lo/statistics/tx_bytes', 'utf8').trim());
}
