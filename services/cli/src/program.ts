import { Command, CommanderError, Option } from 'commander';
import { httpUrl, integer } from './args';
import { registerConvertCommands } from './commands/convert';
import { registerObjectCommands } from './commands/objects';
import { registerLuidCommands } from './commands/luid';
import { registerReadCommands } from './commands/read';
import { registerRebuildCommand } from './commands/rebuild';
import { registerWatchCommand } from './commands/watch';
import { registerWriteCommands } from './commands/write';
import type { Io } from './context';
import { CliError } from './errors';

/** Exit codes: 0 done, 1 failed (service error, refusal, unreachable), 2 bad usage. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export function createProgram(io: Io, env: Readonly<Record<string, string | undefined>>): Command {
  const program = new Command('ifreg')
    .description('The network interface registry from the command line, over its HTTP API.')
    .addOption(new Option('--url <url>', 'the ifreg HTTP API').default(env['IFREG_URL'] ?? 'http://127.0.0.1:8080', '$IFREG_URL or http://127.0.0.1:8080').argParser(httpUrl))
    .addOption(new Option('--token <token>', 'bearer token for writes when the service has one').default(env['IFREG_TOKEN'], '$IFREG_TOKEN'))
    .addOption(new Option('--token-file <path>', 'read the token from this file (a docker secret)').default(env['IFREG_TOKEN_FILE'], '$IFREG_TOKEN_FILE'))
    .option('--json', 'print the JSON answers, for scripts', false)
    .option('--timeout <ms>', 'bound of each request', integer(1, 600_000), 15_000)
    .showHelpAfterError('(add --help for usage)')
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.out(text.replace(/\n$/, '')), writeErr: (text) => io.err(text.replace(/\n$/, '')) });
  registerReadCommands(program, io);
  registerConvertCommands(program, io);
  registerWriteCommands(program, io);
  registerObjectCommands(program, io);
  registerLuidCommands(program, io);
  registerWatchCommand(program, io);
  registerRebuildCommand(program, io);
  return program;
}

/** Runs one command line (without node and the script); answers the exit code. */
export async function runCli(argv: readonly string[], io: Io, env: Readonly<Record<string, string | undefined>>): Promise<number> {
  const program = createProgram(io, env);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    // commander printed its own message (and the help hint) already.
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    if (error instanceof CliError) {
      io.err(`ifreg: ${error.message}`);
      return error.exitCode;
    }
    io.err(`ifreg: ${error instanceof Error ? error.message : String(error)}`);
    return EXIT.failed;
  }
}
