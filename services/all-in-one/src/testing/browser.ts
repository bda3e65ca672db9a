import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium; another one with IFREG_CHROMIUM. */
export const CHROMIUM = process.env['IFREG_CHROMIUM'] ?? '/usr/bin/chromium';

/** Quiet and offline: no sync, updates, QUIC or background requests of Chromium's own. */
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/**
 * `describe` when Chromium is here. Without it the suite is skipped with a warning, except in
 * CI (CI=true or IFREG_REQUIRE_BROWSER=1), where the test file fails instead.
 */
export function describeWithBrowser(): jest.Describe {
  if (existsSync(CHROMIUM)) return describe;
  if (process.env['CI'] === 'true' || process.env['IFREG_REQUIRE_BROWSER'] === '1') {
    throw new Error(`the browser tests must run here (CI or IFREG_REQUIRE_BROWSER=1) but there is no Chromium at ${CHROMIUM}: apt-get install chromium`);
  }
  console.warn(`No Chromium at ${CHROMIUM} (apt-get install chromium, or set IFREG_CHROMIUM): the browser tests are SKIPPED.`);
  return describe.skip;
}

/** What the page did that a test checks afterwards. */
export interface PageRecord {
  /** Every URL the browser requested. */
  readonly requests: string[];
  /** Console errors and uncaught exceptions, with where they came from. */
  readonly errors: string[];
}

export interface BrowserSession {
  readonly page: Page;
  readonly context: BrowserContext;
  readonly record: PageRecord;
  close(): Promise<void>;
}

/** Headless Chromium with a fresh profile in a temporary folder, and one page. */
export async function openBrowser(viewport = { width: 1440, height: 900 }, colorScheme: 'light' | 'dark' = 'light'): Promise<BrowserSession> {
  const profile = mkdtempSync(join(tmpdir(), 'ifreg-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS, viewport, colorScheme, deviceScaleFactor: 1 });
  const record: PageRecord = { requests: [], errors: [] };
  context.on('request', (request) => record.requests.push(request.url()));
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (message) => {
    if (message.type() === 'error') record.errors.push(`${message.text()} (${message.location().url})`);
  });
  page.on('pageerror', (error) => record.errors.push(`uncaught: ${error.message}`));
  return {
    page,
    context,
    record,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export interface AxeFinding {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly nodes: number;
}

/** axe-core (from npm) run in the page: its findings. Evaluated, not added as a script: the page's CSP allows no inline script. */
export async function axeFindings(page: Page): Promise<AxeFinding[]> {
  await page.evaluate(readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8'));
  return page.evaluate(`axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length })))`);
}
