// Test support for the PostgreSQL specs; not exported from index.ts.
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Synchronously checks that a PostgreSQL server answers at `url` (jest picks describe or
 * describe.skip while collecting, before any hook could await). Answers why not, or undefined.
 */
export function unreachableReason(url: string): string | undefined {
  const probe = `
    const { Client } = require(process.env.PG_MODULE);
    const client = new Client({ connectionString: process.env.PG_URL, connectionTimeoutMillis: 3000 });
    client.connect().then(() => client.end()).then(
      () => process.exit(0),
      (error) => { process.stderr.write(String(error.message)); process.exit(1); });`;
  const result = spawnSync(process.execPath, ['-e', probe], {
    env: { ...process.env, PG_MODULE: require.resolve('pg'), PG_URL: url },
    encoding: 'utf8',
    timeout: 10_000,
  });
  if (result.status === 0) return undefined;
  return result.stderr.trim() || result.error?.message || `probe exited with ${String(result.status ?? result.signal)}`;
}

/** The server binaries: the newest Debian /usr/lib/postgresql/<version>/bin, else `pg_config --bindir`. */
function binDir(): string | undefined {
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const versions = readdirSync(debian).filter((v) => existsSync(join(debian, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
    if (versions[0] !== undefined) return join(debian, versions[0], 'bin');
  }
  const pgConfig = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  const dir = pgConfig.status === 0 ? pgConfig.stdout.trim() : '';
  return dir !== '' && existsSync(join(dir, 'initdb')) ? dir : undefined;
}

/** PostgreSQL refuses to run as root: as root the server runs as the `postgres` OS user. */
function osUser(): { prefix: string[]; uid: number; gid: number } | string {
  if (process.getuid?.() !== 0) return { prefix: [], uid: -1, gid: -1 };
  const runuser = spawnSync('runuser', ['--help'], { encoding: 'utf8' });
  if (runuser.error) return 'running as root without runuser';
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return { prefix: ['runuser', '-u', 'postgres', '--'], uid, gid };
  } catch {
    return 'running as root and there is no postgres OS user';
  }
}

/** Why a private instance cannot be started here, or undefined when it can be tried. */
export function privateServerUnavailable(): string | undefined {
  if (process.platform === 'win32') return 'private instances are started on POSIX systems only';
  if (binDir() === undefined) return 'no PostgreSQL server binaries (initdb, pg_ctl) found';
  const user = osUser();
  return typeof user === 'string' ? user : undefined;
}

const freePort = (): Promise<number> => new Promise((resolve, reject) => {
  const server = createServer();
  server.once('error', reject);
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
  });
});

/**
 * A throwaway PostgreSQL instance (initdb in a temporary directory, a free port, trust
 * auth) for tests that restart the server, so that the shared one is left alone.
 */
export class PrivatePostgres {
  private constructor(
    private readonly bin: string,
    private readonly prefix: readonly string[],
    private readonly dir: string,
    readonly port: number,
  ) {}

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  static async start(): Promise<PrivatePostgres> {
    const bin = binDir();
    const user = osUser();
    if (bin === undefined || typeof user === 'string') throw new Error(privateServerUnavailable());
    const dir = mkdtempSync(join(tmpdir(), 'ifreg-pg-'));
    if (user.uid >= 0) chownSync(dir, user.uid, user.gid);
    const server = new PrivatePostgres(bin, user.prefix, dir, await freePort());
    try {
      await server.pg('initdb', ['-D', server.data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync']);
      await server.ctl('start', ['-o', `-p ${server.port} -k ${dir} -c listen_addresses=127.0.0.1`]);
    } catch (error) {
      await server.stop();
      throw error;
    }
    return server;
  }

  /** `pg_ctl restart -m fast`: every session is terminated, then the server comes back on the same port. */
  async restart(): Promise<void> {
    await this.ctl('restart', ['-m', 'fast']);
  }

  async stop(): Promise<void> {
    if (existsSync(join(this.data, 'postmaster.pid'))) await this.ctl('stop', ['-m', 'immediate']).catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private get data(): string {
    return join(this.dir, 'data');
  }

  private ctl(action: string, args: readonly string[]): Promise<unknown> {
    // -l: the server's output goes to a file, never to a pipe that would keep execFile waiting.
    return this.pg('pg_ctl', [action, '-D', this.data, '-l', join(this.dir, 'server.log'), '-w', '-t', '60', ...args]);
  }

  private pg(program: string, args: readonly string[]): Promise<unknown> {
    const [command, ...rest] = [...this.prefix, join(this.bin, program), ...args];
    return run(command ?? program, rest, { timeout: 90_000 });
  }
}
