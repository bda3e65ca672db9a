import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from './config';
import { startAllInOne, type RunningAllInOne } from './start';
import { describeWithBrowser, openBrowser, type BrowserSession } from './testing/browser';

/*
 * The web page's interface detail asks the interface's provider for live status and counters
 * (the all-in-one's host agent for this host's loopback), in Chromium.
 */

const describeBrowser = describeWithBrowser();

describeBrowser('the web page’s interface detail', () => {
  let dir: string;
  let running: RunningAllInOne | undefined;
  let browser: BrowserSession | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ifreg-web-objects-'));
    running = await startAllInOne(loadConfig({ IFREG_HTTP_PORT: '0', IFREG_SQLITE_PATH: join(dir, 'ifreg.db'), IFREG_LOG_LEVEL: 'silent', IFREG_HOST_SCOPE: 'local' }));
    browser = await openBrowser();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await running?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows live status and counters of this host’s loopback when its provider answers', async () => {
    const { page, record } = browser!;
    const lo = (await (await fetch(`${running!.url}/v1/scopes/local/names/lo`)).json()) as { luid: { name: string } };
    await page.goto(`${running!.url}/?scope=local&luid=${lo.luid.name}`);
    await page.waitForSelector('#objects-ask', { timeout: 15_000 });
    await page.click('#objects-ask');
    await page.waitForFunction(() => (globalThis as any).document.querySelector('#objects-rows')?.textContent.includes('Received'), undefined, { timeout: 15_000 });
    const text = (await page.textContent('#objects')) ?? '';
    for (const expected of ['Admin status', 'Operational status', 'Received', 'bytes', 'Sent', 'asked again every 5 s']) expect(text).toContain(expected);
    expect(record.errors).toEqual([]);
  }, 60_000);
});
