// What the side-by-side benchmark needs on this machine; null when all is there, else why not and
// what to do (for the CLI's error and the test's skip/fail message).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { netnsAvailable } from '../../test/support/netns.js';

const execFileP = promisify(execFile);

export async function missingPrerequisite(grapevineCli: string): Promise<string | null> {
  const netns = await netnsAvailable();
  if (netns) return `network namespaces are needed (${netns})`;
  try {
    await execFileP('serf', ['version']);
  } catch {
    return "'serf' is not installed (Debian: apt-get install -y serf; scripts/test.sh installs it as root)";
  }
  if (!existsSync(grapevineCli)) return `${grapevineCli} is missing: run 'npm run build' first`;
  return null;
}
