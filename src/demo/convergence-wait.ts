// Waits until every agent of the demo reports the same view digest and all of them alive, so the
// demo says "running" only when the views agree (not merely when the processes answer HTTP).

interface SelfAnswer {
  viewDigest: string;
}
interface MemberAnswer {
  state: string;
}

async function viewOf(url: string): Promise<{ digest: string; alive: number } | null> {
  try {
    const [self, members] = await Promise.all([
      fetch(`${url}/v1/self`, { signal: AbortSignal.timeout(2_000) }).then(
        (r) => r.json() as Promise<SelfAnswer>,
      ),
      fetch(`${url}/v1/members`, { signal: AbortSignal.timeout(2_000) }).then(
        (r) => r.json() as Promise<MemberAnswer[]>,
      ),
    ]);
    return { digest: self.viewDigest, alive: members.filter((m) => m.state === 'alive').length };
  } catch {
    return null;
  }
}

/** Resolves true once all `urls` hold one view with every agent alive; false when `signal` aborts. */
export async function waitForConvergence(
  urls: readonly string[],
  signal: AbortSignal,
  pollMs = 200,
): Promise<boolean> {
  while (!signal.aborted) {
    const views = await Promise.all(urls.map(viewOf));
    if (
      views.every((v) => v !== null && v.alive === urls.length) &&
      new Set(views.map((v) => v?.digest)).size === 1
    )
      return true;
    await new Promise((r) => setTimeout(r, pollMs));
  }
  return false;
}
