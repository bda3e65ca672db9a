import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { runCli } from './program';

/** Runs the CLI in this process, collecting its output. */
async function run(argv: string[], env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (t: string) => void out.push(t), err: (t: string) => void err.push(t), interactive: false, interrupted: new AbortController().signal };
  const code = await runCli(argv, io, env);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('usage errors', () => {
  it('exit 2 with commander’s message and a hint', async () => {
    const result = await run(['index-to-luid', 'local', 'one']);
    expect(result.code).toBe(2);
    expect(result.err).toContain("error: command-argument value 'one' is invalid for argument 'ifIndex'. 'one' is not a whole number.");
    expect(result.err).toContain('(add --help for usage)');
    expect((await run(['--url', 'ftp://x', 'scopes'])).code).toBe(2);
    expect((await run([])).code).toBe(2);
  });
});

describe('ifreg luid convert', () => {
  it('prints the forms of a NET_LUID without asking the service', async () => {
    expect(await run(['luid', 'convert', 'loopback_0'])).toEqual({
      code: 0,
      out: ['value         0x0018000000000000', 'decimal       6755399441055744', 'name          loopback_0', 'ifType        24', 'NetLuidIndex  0'].join('\n'),
      err: '',
    });
    expect(await run(['luid', 'convert', 'blue_1'])).toMatchObject({ code: 2, err: "ifreg: unknown interface type name 'blue' in 'blue_1'" });
  });
});

describe('answers of the service', () => {
  let server: Server;
  let url: string;
  const seen: { url: string; authorization?: string }[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push({ url: req.url ?? '', ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
      if (req.url?.startsWith('/v1/scopes/slow')) return void setTimeout(() => res.end('{}'), 2_000).unref();
      if (req.url?.startsWith('/v1/scopes/html')) return void res.writeHead(502, { 'content-type': 'text/html' }).end('<h1>Bad Gateway</h1>');
      if (req.url?.startsWith('/v1/scopes/x/interfaces/3')) {
        return void res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'InterfaceNotFound', reason: 'ifIndex 3 is not registered in scope x' }));
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ position: 4, items: [] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('an error is one line with the status, the code and the reason; exit 1', async () => {
    expect(await run(['get', 'x', '3'], { IFREG_URL: url })).toEqual({ code: 1, out: '', err: 'ifreg: 404 InterfaceNotFound: ifIndex 3 is not registered in scope x' });
    expect(await run(['--url', url, 'failures', 'html'])).toEqual({ code: 1, out: '', err: 'ifreg: 502: <h1>Bad Gateway</h1>' });
  });

  it('a service too slow is named, with the bound; exit 1', async () => {
    expect(await run(['--url', url, '--timeout', '100', 'failures', 'slow'])).toEqual({ code: 1, out: '', err: `ifreg: ifreg at ${url} did not answer within 100 ms` });
  });

  it('the token goes along as a bearer token; --json prints the answer as it came', async () => {
    seen.length = 0;
    const result = await run(['scopes', '--json', '--token', 'secret-token-123456'], { IFREG_URL: url });
    expect(result).toEqual({ code: 0, out: JSON.stringify({ position: 4, items: [] }, null, 2), err: '' });
    expect(seen).toEqual([{ url: '/v1/scopes', authorization: 'Bearer secret-token-123456' }]);
  });

  it('the token can come from a file (IFREG_TOKEN_FILE or --token-file); an unreadable one is named, exit 1', async () => {
    seen.length = 0;
    const dir = mkdtempSync(join(tmpdir(), 'ifreg-cli-token-'));
    try {
      writeFileSync(join(dir, 'token'), 'token-from-a-file-123\n');
      expect((await run(['scopes'], { IFREG_URL: url, IFREG_TOKEN_FILE: join(dir, 'token') })).code).toBe(0);
      expect(seen).toEqual([{ url: '/v1/scopes', authorization: 'Bearer token-from-a-file-123' }]);
      const missing = await run(['--token-file', join(dir, 'nope'), 'scopes'], { IFREG_URL: url });
      expect(missing).toEqual({ code: 1, out: '', err: `ifreg: IFREG_TOKEN_FILE: cannot read ${join(dir, 'nope')} (ENOENT)` });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('list passes its filters as query parameters, and names the empty list', async () => {
    seen.length = 0;
    await run(['list', 'local', '--type', '6', '--provider', 'agent linux', '--limit', '2', '--after', '1', '--as-of', '9'], { IFREG_URL: url });
    expect(seen.map((s) => s.url)).toEqual(['/v1/scopes/local/interfaces?ifType=6&providerId=agent+linux&limit=2&after=1&asOf=9']);
    expect((await run(['scopes'], { IFREG_URL: url })).out).toBe('no scopes yet');
  });
});
