import { z } from 'zod';
import { ConfigError, env, parseConfig } from './config';

const schema = z.object({ PORT: env.port(8080), TOKEN: z.string().min(16).optional(), DEBUG: env.bool(false) });

describe('configuration parsed once at start-up', () => {
  it('fills defaults and converts strings to typed values', () => {
    expect(parseConfig(schema, { PORT: '9000', DEBUG: 'yes' })).toEqual({ PORT: 9000, DEBUG: true });
  });

  it('treats an empty variable as not set (FOO= in a shell, ${FOO:-} in compose)', () => {
    expect(parseConfig(schema, { PORT: '', TOKEN: '' })).toEqual({ PORT: 8080, DEBUG: false });
  });

  it('refuses bad values with a ConfigError naming each variable', () => {
    let error: unknown;
    try {
      parseConfig(schema, { PORT: '70000', TOKEN: 'short', DEBUG: 'maybe' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.map((p) => p.split(':')[0]).sort()).toEqual(['DEBUG', 'PORT', 'TOKEN']);
  });

  it('reports a transform that refuses a combination as a ConfigError too', () => {
    const strict = z.object({ A: z.string().optional() }).transform((c) => {
      if (!c.A) throw new Error('A is required here');
      return c;
    });
    expect(() => parseConfig(strict, {})).toThrow(new ConfigError(['A is required here']));
  });
});
