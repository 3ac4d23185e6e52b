#!/usr/bin/env -S node --max-semi-space-size=1
// The `grapevine` CLI entry point. The shebang caps V8's young generation at 1 MB per semi-space
// (default up to 16): an agent allocates little, and this saves ~7 MB RSS (docs/benchmarks.md).
import { processIo } from './cli-io.js';
import { runCli } from './program.js';

process.exitCode = await runCli(process.argv.slice(2), processIo);
