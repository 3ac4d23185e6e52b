// Polls until a check passes; on timeout fails with what was being waited for and the last value seen.
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T> | T,
  ok: (v: T) => boolean,
  timeoutMs: number,
  everyMs = 150,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown = null;
  while (Date.now() < end) {
    try {
      last = await probe();
      if (ok(last)) return last;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  const seen = last === undefined ? String(lastError) : JSON.stringify(last)?.slice(0, 600);
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${seen}`);
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** One-letter process state from procfs: R/S running or sleeping, T stopped, Z zombie. */
export async function procState(pid: number): Promise<string | null> {
  const { readFile } = await import('node:fs/promises');
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).charAt(0);
  } catch {
    return null;
  }
}
