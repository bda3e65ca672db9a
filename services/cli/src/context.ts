import type { Command } from 'commander';
import { ConfigError, secretSetting } from '@ifreg/platform';
import { CliError } from './errors';
import { IfregClient } from './http-client';

/** Where output goes; the real process writes to stdout/stderr, tests may collect it. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** True when stderr is a terminal: progress bars only then. */
  readonly interactive: boolean;
  /** Resolves when the user asks to stop (Ctrl-C). */
  readonly interrupted: AbortSignal;
}

/** The options every command shares (given before or after the command name). */
export interface GlobalOptions {
  readonly url: string;
  readonly token?: string;
  readonly tokenFile?: string;
  readonly json: boolean;
  readonly timeout: number;
}

export interface Context {
  readonly client: IfregClient;
  readonly json: boolean;
  readonly io: Io;
  /** Bound of one request, ms. */
  readonly timeoutMs: number;
  /** Prints `value` as JSON with --json, else the human form. */
  show(value: unknown, human: () => string): void;
}

export function contextOf(command: Command, io: Io): Context {
  const options = command.optsWithGlobals<GlobalOptions>();
  const token = tokenOf(options);
  const client = new IfregClient({ url: options.url, timeoutMs: options.timeout, ...(token ? { token } : {}) });
  return {
    client,
    json: options.json,
    io,
    timeoutMs: options.timeout,
    show: (value, human) => io.out(options.json ? JSON.stringify(value, null, 2) : human()),
  };
}

/** The same rules as the services' IFREG_TOKEN / IFREG_TOKEN_FILE: one or the other, a file that reads. */
function tokenOf(options: GlobalOptions): string | undefined {
  try {
    return secretSetting('IFREG_TOKEN', options.token, options.tokenFile);
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.problems.join('; '));
    throw error;
  }
}
