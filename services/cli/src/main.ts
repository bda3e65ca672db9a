#!/usr/bin/env node
import '@ifreg/platform/require-supported-node';
import { runCli } from './program';

/** `npx ifreg …` / `npm run ifreg -- …`: see `ifreg --help`. */
const interrupted = new AbortController();
process.once('SIGINT', () => {
  interrupted.abort();
  // A second Ctrl-C, or a command that does not listen for the first: quit now.
  process.once('SIGINT', () => process.exit(130));
});

runCli(
  process.argv.slice(2),
  {
    out: (text) => void process.stdout.write(`${text}\n`),
    err: (text) => void process.stderr.write(`${text}\n`),
    interactive: process.stderr.isTTY === true,
    interrupted: interrupted.signal,
  },
  process.env,
).then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    process.stderr.write(`ifreg: ${String(error)}\n`);
    process.exitCode = 1;
  },
);
