// Resident memory of a process, for the page and the demo's figures. Linux only (procfs); null
// elsewhere or when the process is gone.
import { readFileSync } from 'node:fs';

export function residentBytes(pid: number): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return m?.[1] ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}
