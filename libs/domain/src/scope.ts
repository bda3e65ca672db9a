import { type Checked, ok, refuse } from './result';

export const SCOPE_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
export const DEFAULT_SCOPE = 'local';

export function checkScope(scope: unknown): Checked<string> {
  if (typeof scope === 'string' && SCOPE_PATTERN.test(scope)) return ok(scope);
  return refuse(`scope must be 1-64 characters of [A-Za-z0-9._-], got ${JSON.stringify(scope)}`);
}

/** Stream names from one place: `<category>-<id>`, no hyphen in the category. */
export const streamNames = {
  registry: (scope: string): string => `registry-${scope}`,
  scopeOf(stream: string): string | undefined {
    return stream.startsWith('registry-') ? stream.slice('registry-'.length) : undefined;
  },
} as const;
