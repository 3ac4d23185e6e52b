// Runs the real `grapevine` command tree (cmd/program.ts's runCli) in-process, capturing its output.
import type { CliIo } from '../../cmd/cli-io.js';
import { runCli } from '../../cmd/program.js';

export interface CliResult {
  code: number;
  out: string;
  err: string;
}

export async function runGrapevine(...argv: string[]): Promise<CliResult> {
  let out = '';
  let err = '';
  const io: CliIo = {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
  };
  const code = await runCli(argv, io);
  return { code, out, err };
}
