import { Writable } from 'node:stream';
import { createLogger, maskUrlPassword } from './logger';

/** A logger at trace whose lines are kept in memory. */
function capture(): { log: ReturnType<typeof createLogger>; text: () => string } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  return { log: createLogger({ name: 'logger-spec', level: 'trace', destination }), text: () => chunks.join('') };
}

const TOKEN = 'tok-3f9c1b7e5a2d4c8e9b0a';
const PASSWORD = 'pw-Zq8!vR2#mK5';

describe('no secret in the logs', () => {
  it('redacts fields named like secrets, at the top and nested', () => {
    const { log, text } = capture();
    log.info({ token: TOKEN, password: PASSWORD, scope: 'host-a' }, 'top level');
    log.info({ req: { headers: { authorization: `Bearer ${TOKEN}`, host: 'x' } } }, 'a request');
    log.info({ config: { http: { token: TOKEN }, kafka: { sasl: { mechanism: 'plain', username: 'u', password: PASSWORD }, ssl: { key: 'PRIVATE KEY' } } } }, 'settings');
    log.info({ store: { connectionString: `postgres://ifreg:${PASSWORD}@db:5432/x` } }, 'store');
    const out = text();
    expect(out).not.toContain(TOKEN);
    expect(out).not.toContain(PASSWORD);
    expect(out).not.toContain('PRIVATE KEY');
    const lines = out.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({ token: '[redacted]', password: '[redacted]', scope: 'host-a' });
    expect(lines[1]).toMatchObject({ req: { headers: { authorization: '[redacted]', host: 'x' } } });
    expect(lines[2]).toMatchObject({ config: { http: { token: '[redacted]' }, kafka: { sasl: '[redacted]', ssl: '[redacted]' } } });
  });

  it('masks URL passwords in errors (message and stack), also logged alone, and passwords holding "@"', () => {
    const { log, text } = capture();
    const error = new Error(`connect failed: postgres://ifreg:${PASSWORD}@db:5432/x`);
    log.error({ err: error }, 'store down');
    log.error(error);
    log.warn(`retrying postgres://ifreg:p@ss@${PASSWORD}@db/x`);
    log.info({ settings: { kafka: { tls: { key: 'PRIVATE KEY', ca: 'CA' } } } }, 'kafka settings');
    const out = text();
    expect(out).not.toContain(PASSWORD);
    expect(out).not.toContain('p@ss');
    expect(out).not.toContain('PRIVATE KEY');
    const lines = out.trim().split('\n').map((line) => JSON.parse(line) as { msg?: string; err?: { message?: string; stack?: string } });
    expect(lines[0]?.err?.message).toBe('connect failed: postgres://ifreg:***@db:5432/x');
    expect(lines[0]?.err?.stack).toContain('connect failed: postgres://ifreg:***@db:5432/x');
    expect(lines[1]?.msg).toBe('connect failed: postgres://ifreg:***@db:5432/x');
    expect(lines[2]?.msg).toBe('retrying postgres://ifreg:***@db/x');
  });

  it('masks the password of URLs in fields and in the message, and leaves the rest readable', () => {
    const { log, text } = capture();
    const payload = { url: `postgres://ifreg:${PASSWORD}@db.example:5432/ifreg?sslmode=verify-full`, nested: { list: [`http://agent:${TOKEN}@registry:8080/`] } };
    log.info(payload, `connecting to postgresql://ifreg:${PASSWORD}@db.example/ifreg`);
    const out = text();
    expect(out).not.toContain(PASSWORD);
    expect(out).not.toContain(TOKEN);
    const line = JSON.parse(out) as { url: string; nested: { list: string[] }; msg: string };
    expect(line.url).toBe('postgres://ifreg:***@db.example:5432/ifreg?sslmode=verify-full');
    expect(line.nested.list).toEqual(['http://agent:***@registry:8080/']);
    expect(line.msg).toBe('connecting to postgresql://ifreg:***@db.example/ifreg');
    // The caller's object is not changed.
    expect(payload.url).toContain(PASSWORD);
  });

  it('maskUrlPassword keeps URLs without a password as they are', () => {
    expect(maskUrlPassword('postgres://postgres@127.0.0.1:5432/test')).toBe('postgres://postgres@127.0.0.1:5432/test');
    expect(maskUrlPassword('esdb://eventstoredb:2113?tls=false')).toBe('esdb://eventstoredb:2113?tls=false');
    expect(maskUrlPassword('a://u:p@h and b://v:q@i')).toBe('a://u:***@h and b://v:***@i');
    expect(maskUrlPassword('no url: here@there')).toBe('no url: here@there');
  });
});
