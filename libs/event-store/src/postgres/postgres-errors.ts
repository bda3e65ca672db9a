const errorCode = (error: unknown): string | undefined =>
  typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : undefined;

const constraintName = (error: unknown): string | undefined =>
  typeof error === 'object' && error !== null && 'constraint' in error && typeof error.constraint === 'string' ? error.constraint : undefined;

// node-postgres reports a dropped socket with plain Errors and these messages.
const DROPPED = /Connection terminated|connection error and is not queryable|timeout exceeded when trying to connect/;

/**
 * A failure of the connection rather than of the statement: the server restarting,
 * unreachable, or shutting sessions down. Retrying on a fresh connection may succeed.
 */
export function isConnectionError(error: unknown): boolean {
  const code = errorCode(error);
  if (code !== undefined) {
    return code.startsWith('08') // connection_exception
      || ['57P01', '57P02', '57P03'].includes(code) // admin/crash shutdown, cannot connect now
      || ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND'].includes(code);
  }
  return error instanceof Error && DROPPED.test(error.message);
}

/** A unique_violation (23505) of the named constraint. */
export function isUniqueViolation(error: unknown, constraint: string): boolean {
  return errorCode(error) === '23505' && constraintName(error) === constraint;
}

// Serialisation failure, deadlock, lock not available, statement timeout or cancel, too many connections.
const RETRYABLE_CODES = new Set(['40001', '40P01', '55P03', '57014', '53300']);
const CLIENT_TIMEOUT = /Query read timeout/;

/** Worth retrying as it is: the connection failed, or the statement lost a race or ran out of time. */
export function isTransientPostgresError(error: unknown): boolean {
  if (isConnectionError(error)) return true;
  const code = errorCode(error);
  if (code !== undefined && RETRYABLE_CODES.has(code)) return true;
  return error instanceof Error && CLIENT_TIMEOUT.test(error.message);
}
