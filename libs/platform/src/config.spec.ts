import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError, env, parseConfig, readableFile, secretSetting } from './config';

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

describe('secrets from a variable or a *_FILE (docker secrets)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ifreg-secret-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, content: string): string => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };

  it('reads the variable, or the file without its trailing newline', () => {
    expect(secretSetting('IFREG_TOKEN', 'from-the-variable', undefined)).toBe('from-the-variable');
    expect(secretSetting('IFREG_TOKEN', undefined, file('token', 'from-the-file-0123\n'))).toBe('from-the-file-0123');
    expect(secretSetting('IFREG_TOKEN', undefined, undefined)).toBeUndefined();
  });

  it('refuses both at once, an unreadable, empty or short file, naming the variable and never the secret', () => {
    const problems = (f: () => unknown): readonly string[] => {
      try {
        f();
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as ConfigError).problems;
      }
      throw new Error('no ConfigError');
    };
    expect(problems(() => secretSetting('IFREG_TOKEN', 'x', file('t2', 'y')))).toEqual(['IFREG_TOKEN: set IFREG_TOKEN or IFREG_TOKEN_FILE, not both']);
    expect(problems(() => secretSetting('IFREG_TOKEN', undefined, join(dir, 'missing')))).toEqual([`IFREG_TOKEN_FILE: cannot read ${join(dir, 'missing')} (ENOENT)`]);
    expect(problems(() => secretSetting('IFREG_TOKEN', undefined, file('empty', '\n')))).toEqual([`IFREG_TOKEN_FILE: ${join(dir, 'empty')} is empty`]);
    const short = problems(() => secretSetting('IFREG_TOKEN', undefined, file('short', 'tiny-secret'), { minLength: 16 }));
    expect(short).toEqual([`IFREG_TOKEN_FILE: the secret in ${join(dir, 'short')} must be at least 16 characters`]);
    expect(short.join()).not.toContain('tiny-secret');
  });

  it('a ConfigError thrown by a transform keeps its own problems', () => {
    const schema = z.object({ T: z.string().optional(), T_FILE: env.file() }).transform((c) => secretSetting('T', c.T, c.T_FILE));
    expect(() => parseConfig(schema, { T: 'a', T_FILE: '/x' })).toThrow(new ConfigError(['T: set T or T_FILE, not both']));
  });

  it('readableFile answers the content or names the variable', () => {
    expect(readableFile('IFREG_KAFKA_TLS_CA_FILE', file('ca.pem', 'CERT'))).toBe('CERT');
    expect(() => readableFile('IFREG_KAFKA_TLS_CA_FILE', join(dir, 'nope.pem'))).toThrow(new ConfigError([`IFREG_KAFKA_TLS_CA_FILE: cannot read ${join(dir, 'nope.pem')} (ENOENT)`]));
  });
});
