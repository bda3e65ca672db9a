#!/usr/bin/env node
import '@ifreg/platform/require-supported-node';
import pino from 'pino';
import { CommanderError } from 'commander';
import { ConfigError } from '@ifreg/platform';
import { simProgram, simulationConfig } from './config';
import { progressView } from './progress';
import { runSimulation } from './runner';

/**
 * `npm run sim -- --scopes 100 --providers 10 --interfaces 10 --wait`: progress on stderr,
 * one JSON summary line on stdout. Exit 0; 1 when it failed, or with --wait when an outcome
 * was missing or unexpected; 2 for bad options.
 */
async function main(): Promise<number> {
  const program = simProgram().exitOverride();
  try {
    program.parse();
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    throw error;
  }
  // Only what was given on the command line overrides the environment (not commander's defaults of --no-… flags).
  const given = Object.fromEntries(Object.entries(program.opts()).filter(([name]) => program.getOptionValueSource(name) === 'cli'));
  let config;
  try {
    config = simulationConfig(given, process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`ifreg-sim: ${error.message}`);
    return 2;
  }
  const log = pino({ name: 'ifreg-sim', level: config.logLevel }, pino.destination(2));
  const view = config.progress ? progressView(process.stderr) : undefined;
  const abort = new AbortController();
  // First Ctrl-C: stop sending and summarise what was done; a second one quits at once.
  process.once('SIGINT', () => {
    abort.abort();
    process.once('SIGINT', () => process.exit(130));
  });
  process.once('SIGTERM', () => abort.abort());
  try {
    const summary = await runSimulation(config.simulation, { log, signal: abort.signal, ...(view ? { onProgress: (p) => view.update(p) } : {}) });
    view?.stop();
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    return summary.ok === false ? 1 : 0;
  } finally {
    view?.stop();
  }
}

main().then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    console.error(`ifreg-sim: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
