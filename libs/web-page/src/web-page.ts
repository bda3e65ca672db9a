import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';

/** One file of the page, read once at start-up. */
export interface PageFile {
  readonly contentType: string;
  readonly body: Buffer;
  /** Strong validator: browsers revalidate (no-cache) and get 304 while it is unchanged. */
  readonly etag: string;
}

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** public/ beside src/ and dist/: the files are served as written, there is nothing to build. */
export const publicDir = join(__dirname, '..', 'public');

/** The page's files by name (index.html, app.js, …); only these names can ever be served. */
export function loadWebPage(dir: string = publicDir): ReadonlyMap<string, PageFile> {
  const files = new Map<string, PageFile>();
  for (const name of readdirSync(dir)) {
    const contentType = TYPES[extname(name)];
    if (contentType === undefined) continue;
    const body = readFileSync(join(dir, name));
    files.set(name, { contentType, body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` });
  }
  return files;
}

/**
 * What the page may load: its own files and its own API, nothing from any other host, no
 * inline script or style. A request elsewhere is blocked by the browser, not just avoided.
 */
export const pageSecurityHeaders: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};
