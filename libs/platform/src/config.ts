import { readFileSync } from 'node:fs';
import { z } from 'zod';

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/** Parses configuration once at start-up; every problem is named by its variable. */
export function parseConfig<S extends z.ZodType>(schema: S, env: Readonly<Record<string, string | undefined>>): z.infer<S> {
  // An empty variable (FOO= in a shell or `FOO: ${FOO:-}` in compose) means "not set".
  const given = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  let result: ReturnType<S['safeParse']>;
  try {
    result = schema.safeParse(given) as ReturnType<S['safeParse']>;
  } catch (error) {
    // A transform that refuses a combination of settings throws; report it the same way.
    if (error instanceof ConfigError) throw error;
    throw new ConfigError([error instanceof Error ? error.message : String(error)]);
  }
  if (result.success) return result.data as z.infer<S>;
  throw new ConfigError(result.error.issues.map((issue) => `${issue.path.join('.') || '(env)'}: ${issue.message}`));
}

/** Env helpers: strings in, typed values out. */
export const env = {
  port: (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback),
  int: (fallback: number, min: number, max: number) => z.coerce.number().int().min(min).max(max).default(fallback),
  bool: (fallback: boolean) =>
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'])
      .default(fallback ? 'true' : 'false')
      .transform((v) => v === 'true' || v === '1' || v === 'yes'),
  logLevel: () => z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** The path of a file holding a secret or a certificate (the `*_FILE` variables). */
  file: () => z.string().min(1).optional(),
} as const;

/**
 * A secret given either in the variable NAME or in the file named by NAME_FILE (docker and
 * Kubernetes secrets), never both. One trailing newline of the file is dropped. Throws a
 * ConfigError naming the variable; the secret itself never appears in a message.
 */
export function secretSetting(name: string, value: string | undefined, file: string | undefined, options: { minLength?: number } = {}): string | undefined {
  if (value !== undefined && file !== undefined) throw new ConfigError([`${name}: set ${name} or ${name}_FILE, not both`]);
  if (file === undefined) return value;
  let content: string;
  try {
    content = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (error) {
    throw new ConfigError([`${name}_FILE: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)})`]);
  }
  if (content === '') throw new ConfigError([`${name}_FILE: ${file} is empty`]);
  if (options.minLength !== undefined && content.length < options.minLength) {
    throw new ConfigError([`${name}_FILE: the secret in ${file} must be at least ${options.minLength} characters`]);
  }
  return content;
}

/** A file the service must be able to read (a CA, a certificate, a key): its content, or a ConfigError naming the variable. */
export function readableFile(name: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError([`${name}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)})`]);
  }
}
