/** A failure the CLI explains in one line on stderr, with its exit code. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'CliError';
  }
}

/** The service answered with an error: `{ error, reason }` (README "HTTP API"). */
export class HttpError extends CliError {
  constructor(readonly status: number, readonly code: string | undefined, readonly reason: string, readonly body: unknown) {
    super(`${status}${code ? ` ${code}` : ''}: ${reason}`);
    this.name = 'HttpError';
  }
}

export class UnreachableError extends CliError {
  constructor(readonly url: string) {
    super(`cannot reach ifreg at ${url}: is it running? (npm start)`);
    this.name = 'UnreachableError';
  }
}
