import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { axeFindings, describeWithBrowser, openBrowser, type BrowserSession } from './testing/browser';
import { freePort, serviceMain, startService, type StartedService } from '@ifreg/testing';

/*
 * The live web page (issue 17) in a real Chromium, against the built all-in-one (and a query
 * replica) in their own processes over real sockets. Waits have timeouts; times are reported,
 * not asserted.
 */

const root = join(__dirname, '..', '..', '..');
// The README's screenshots are refreshed with IFREG_SCREENSHOTS=docs/web-page; by default they go to a temp folder, so a test run leaves the tree clean.
const screenshots = process.env['IFREG_SCREENSHOTS'] !== undefined ? join(root, process.env['IFREG_SCREENSHOTS']) : join(tmpdir(), 'ifreg-web-page-screenshots');
const WAIT = 15_000;

const detection = (scope: string, netLuidIndex: number, friendlyName = `eth-${netLuidIndex}`, ifType = 6) => ({
  type: 'InterfaceDetected', schemaVersion: 1, messageId: randomUUID(), scope, providerId: 'web-test',
  luid: { ifType, netLuidIndex }, providerIfContext: `ctx-${netLuidIndex}`,
  info: { friendlyName, physAddress: `02:00:00:00:${String(Math.floor(netLuidIndex / 256) % 100).padStart(2, '0')}:${String(netLuidIndex % 100).padStart(2, '0')}`, accessType: 'broadcast', mediaType: 0, physicalMediumType: 14, connectorPresent: true, flags: 1 },
  detectedAt: '2026-11-24T12:00:00.000Z',
});

async function post(base: string, message: unknown): Promise<any> {
  const response = await fetch(`${base}/v1/messages?wait=true`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(message) });
  const body = await response.json();
  if (response.status !== 200 && response.status !== 400) throw new Error(`POST ${response.status}: ${JSON.stringify(body)}`);
  return body;
}

const get = async (base: string, path: string): Promise<any> => (await fetch(`${base}${path}`)).json();

/** The table's rows as the page shows them: [ifIndex, friendly name, LUID name]. */
const tableRows = (page: Page): Promise<[number, string, string][]> =>
  page.$$eval('#interface-rows tr[data-if-index]', (rows: any[]) =>
    rows.map((r) => [Number(r.dataset.ifIndex), r.querySelector('th').textContent, r.querySelector('td:nth-child(3)').textContent]),
  );

/** Waits until the page has `count` interfaces in its list (all of them, not only the page shown). */
const waitForCount = (page: Page, count: number, timeout = WAIT) =>
  page.waitForFunction((n) => (globalThis as any).document.getElementById('rows-range')?.dataset.count === String(n), count, { timeout });

const waitForText = (page: Page, selector: string, text: string, timeout = WAIT) =>
  page.waitForFunction(([css, part]) => ((globalThis as any).document.querySelector(css)?.textContent ?? '').includes(part), [selector, text] as const, { timeout });

/** The list the service answers, as [ifIndex, friendly name, LUID name]. */
async function serverRows(base: string, scope: string): Promise<[number, string, string][]> {
  const list = await get(base, `/v1/scopes/${scope}/interfaces`);
  return list.items.map((i: any) => [i.ifIndex, i.info.friendlyName, i.luid.name]);
}

const offHost = (urls: readonly string[]) => urls.filter((url) => new URL(url).hostname !== '127.0.0.1');

const describeBrowser = describeWithBrowser();

describeBrowser('the live web page in Chromium', () => {
  let dir: string;
  let db: string;
  let port: number;
  let service: StartedService | undefined;
  let browser: BrowserSession | undefined;
  let base: string;
  const started: StartedService[] = [];

  const startAllInOne = async (): Promise<string> => {
    service = await startService(serviceMain('all-in-one'), { env: { IFREG_HTTP_PORT: String(port), IFREG_SQLITE_PATH: db }, ready: 'ifreg is ready' });
    started.push(service);
    return service.url;
  };

  beforeAll(async () => {
    execFileSync(process.execPath, [join(root, 'tools', 'build.mjs')], { cwd: root, stdio: 'ignore' });
    dir = mkdtempSync(join(tmpdir(), 'ifreg-web-'));
    db = join(dir, 'ifreg.db');
    port = await freePort();
    base = await startAllInOne();
    browser = await openBrowser();
    // A scope of the tests' own (`local` is this host's); it exists before the page opens it.
    await post(base, detection('lab', 1, 'lab-eth1'));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    for (const running of started.reverse()) await running.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows this host’s interfaces at /, with no console error, no request off 127.0.0.1, and no serious or critical accessibility finding in light and dark', async () => {
    const { page, record } = browser!;
    await page.goto(`${base}/`);
    const names = readdirSync('/sys/class/net').sort();
    await waitForCount(page, names.length);
    expect(new URL(page.url()).searchParams.get('scope')).toBe('local');
    expect((await tableRows(page)).map(([, name]) => name).sort()).toEqual(names);
    expect(await page.locator('#scope-list li').first().textContent()).toContain('local');
    await waitForText(page, '#connection', 'Live');

    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme });
      const findings = await axeFindings(page);
      console.log(`[web-page] axe (${colorScheme}): ${findings.length ? findings.map((f) => `${f.id} ${f.impact} ×${f.nodes}`).join(', ') : 'no findings'}`);
      expect(findings.filter((f) => f.impact === 'serious' || f.impact === 'critical')).toEqual([]);
    }
    await page.emulateMedia({ colorScheme: 'light' });
    expect(offHost(record.requests)).toEqual([]);
    expect(record.errors).toEqual([]);
  });

  it('shows a detection posted over HTTP without a reload', async () => {
    const { page } = browser!;
    await page.goto(`${base}/?scope=lab`);
    await waitForCount(page, 1);
    await waitForText(page, '#connection', 'Live');
    const sent = performance.now();
    const answer = await post(base, detection('lab', 2, 'lab-eth2'));
    await waitForCount(page, 2);
    console.log(`[web-page] a detection showed on the page ${(performance.now() - sent).toFixed(0)} ms after its POST (ifIndex ${answer.ifIndex})`);
    expect(await tableRows(page)).toEqual(await serverRows(base, 'lab'));
    expect(page.url()).toBe(`${base}/?scope=lab`); // no reload, no navigation
  });

  it('keeps filter and sort in the URL across a reload, and the back button undoes them', async () => {
    const { page } = browser!;
    for (let n = 3; n <= 6; n++) await post(base, detection('lab', n, n % 2 === 0 ? `wan-${n}` : `lab-eth${n}`));
    await page.goto(`${base}/?scope=lab`);
    await waitForCount(page, 6);
    await page.fill('#filter', 'wan');
    await page.waitForURL(/q=wan/, { timeout: WAIT });
    await page.click('#interface-head button[data-sort="-ifIndex"]');
    await page.waitForURL(/sort=-ifIndex/, { timeout: WAIT });
    expect((await tableRows(page)).map(([i]) => i)).toEqual([6, 4]);
    await page.reload();
    await waitForCount(page, 6);
    expect(await page.inputValue('#filter')).toBe('wan');
    expect((await tableRows(page)).map(([i]) => i)).toEqual([6, 4]);
    expect(await page.getAttribute('#interface-head th[aria-sort]', 'aria-sort')).toBe('descending');
    await page.goBack(); // before the sort
    await page.waitForFunction(() => {
      const { document, location } = globalThis as any;
      return document.querySelectorAll('#interface-rows tr[data-if-index]').length === 2 && !location.search.includes('sort');
    }, undefined, { timeout: WAIT });
    expect((await tableRows(page)).map(([i]) => i)).toEqual([4, 6]);
  });

  it('shows one interface in detail with its history, and the list as of one of its positions', async () => {
    const { page, record } = browser!;
    const removed = await post(base, { type: 'InterfaceRemoved', schemaVersion: 1, messageId: randomUUID(), scope: 'lab', providerId: 'web-test', luid: { ifType: 6, netLuidIndex: 2 } });
    const again = await post(base, detection('lab', 2, 'lab-eth2-again'));
    await page.goto(`${base}/?scope=lab`);
    await waitForCount(page, 6);
    await page.click('#interface-rows a:text-is("lab-eth2-again")');
    await page.waitForURL(/luid=ethernet_2/, { timeout: WAIT });
    await waitForText(page, '#history-note', '3 events');
    const detail = (await page.textContent('#detail')) ?? '';
    for (const text of ['0x0006000002000000', '1688849893818368', 'ethernet_2', 'friendlyName', 'lab-eth2-again', 'physicalMediumType', 'physicalLocation.busNumber', 'ctx-2']) {
      expect(detail).toContain(text);
    }
    expect(await page.$$eval('#history-rows tr td:first-child', (cells: any[]) => cells.map((c) => Number(c.textContent)))).toEqual([
      expect.any(Number),
      removed.position,
      again.position,
    ]);
    expect(await page.evaluate(() => (globalThis as any).document.activeElement?.id)).toBe('detail-title');
    // As of the removal: the list without it, not live.
    await page.click(`#history-rows a:text-is("List as of ${removed.position}")`);
    await page.waitForURL(new RegExp(`asOf=${removed.position}`), { timeout: WAIT });
    await waitForCount(page, 5);
    expect((await page.textContent('#as-of')) ?? '').toContain(`position ${removed.position}`);
    expect((await tableRows(page)).map(([i]) => i)).toEqual([1, 3, 4, 5, 6]);
    await page.click('#as-of a');
    await waitForCount(page, 6);
    expect(record.errors).toEqual([]);
  });

  it('shows the scope’s recent failures with status and reason, live', async () => {
    const { page } = browser!;
    await page.goto(`${base}/?scope=lab`);
    await waitForText(page, '#connection', 'Live');
    await post(base, detection('lab', 16_777_216, 'too-big'));
    await post(base, { type: 'InterfaceRemoved', schemaVersion: 1, messageId: randomUUID(), scope: 'lab', providerId: 'web-test', luid: { ifType: 6, netLuidIndex: 999 } });
    await waitForText(page, '#failure-list', 'INTERFACE_NOT_FOUND');
    const failures = (await page.textContent('#failure-list')) ?? '';
    expect(failures).toContain('INVALID_PARAMETER');
    expect(failures).toContain('luid.netLuidIndex');
  });

  it('finds a scope by name among many and pages through them', async () => {
    const { page } = browser!;
    for (let n = 0; n < 30; n++) await post(base, detection(`fleet-${String(n).padStart(2, '0')}`, 1));
    await page.goto(`${base}/?scope=lab`);
    await waitForText(page, '#scopes-count', '32 scopes');
    expect(await page.locator('#scope-list li').first().textContent()).toContain('local');
    await page.click('#scopes-next');
    await waitForText(page, '#scope-list', 'lab');
    await page.fill('#scope-find', 'ET-1');
    await waitForText(page, '#scopes-count', '10 scopes match');
    await page.click('#scope-list a:text-is("fleet-17")');
    await page.waitForURL(/scope=fleet-17/, { timeout: WAIT });
    await waitForCount(page, 1);
    expect(await page.textContent('#list-title')).toBe('Interfaces of fleet-17');
  });

  it('is usable from the keyboard: filter, sort, open an interface', async () => {
    const { page } = browser!;
    await page.goto(`${base}/?scope=lab`);
    await waitForCount(page, 6);
    await page.focus('#filter');
    await page.keyboard.type('lab-eth');
    await page.waitForURL(/q=lab-eth/, { timeout: WAIT });
    // Tab until the focus is on what `focused()` answers `want` for (the table's region comes first).
    const tabTo = async (focused: () => unknown, want: unknown) => {
      for (let i = 0; i < 20 && (await page.evaluate(focused)) !== want; i++) await page.keyboard.press('Tab');
      expect(await page.evaluate(focused)).toBe(want);
    };
    await tabTo(() => (globalThis as any).document.activeElement?.dataset?.sort, 'name');
    await page.keyboard.press('Enter');
    await page.waitForURL(/sort=name/, { timeout: WAIT });
    expect((await tableRows(page)).map(([, name]) => name)).toEqual(['lab-eth1', 'lab-eth2-again', 'lab-eth3', 'lab-eth5']);
    await tabTo(() => (globalThis as any).document.activeElement?.textContent, 'lab-eth3');
    await page.keyboard.press('Enter');
    await page.waitForURL(/luid=ethernet_3/, { timeout: WAIT });
    expect(await page.evaluate(() => (globalThis as any).document.activeElement?.id)).toBe('detail-title');
  });

  it('merges pages of the list with watch changes by position (rows.js in the page)', async () => {
    const { page } = browser!;
    const item = (ifIndex: number, registeredPosition: number) => ({ ifIndex, registeredPosition, luid: { name: `ethernet_${ifIndex}` } });
    const scenario = async (steps: unknown[]): Promise<number[][]> =>
      page.evaluate(
        `import('/ui/rows.js').then(({ InterfaceRows }) => {
          const rows = new InterfaceRows();
          for (const [what, a, b] of ${JSON.stringify(steps)}) {
            if (what === 'page') rows.addPage(a, b);
            else if (what === 'loaded') rows.loaded();
            else rows.apply(a);
          }
          return [...rows.rows.values()].map((i) => [i.ifIndex, i.registeredPosition]).sort((x, y) => x[0] - y[0]);
        })`,
      );
    // A page read before a removal the watch already delivered does not bring the row back.
    expect(await scenario([['change', { kind: 'deregistered', position: 20, data: { ifIndex: 2 } }], ['page', [item(1, 5), item(2, 6)], 0], ['loaded']])).toEqual([[1, 5]]);
    // A page newer than a change keeps its newer row; an older page does not replace a newer one.
    expect(await scenario([['change', { kind: 'registered', position: 30, data: item(3, 30) }], ['page', [item(3, 10)], 0], ['page', [item(4, 40)], 0]])).toEqual([[3, 30], [4, 40]]);
    // A reset voids the rows of pages read before it, not those registered after it.
    expect(await scenario([['page', [item(1, 5)], 0], ['change', { kind: 'reset', position: 50, data: { epoch: 1 } }], ['page', [item(7, 8), item(8, 60)], 1]])).toEqual([[8, 60]]);
    // Once loaded, a removal of an older registration removes the row; a replayed one changes nothing.
    expect(await scenario([['page', [item(1, 5)], 0], ['loaded'], ['change', { kind: 'registered', position: 5, data: item(1, 5) }], ['change', { kind: 'deregistered', position: 9, data: { ifIndex: 1 } }]])).toEqual([]);
  });

  it('empties the list on a BootEpoch and says so', async () => {
    const { page } = browser!;
    await page.goto(`${base}/?scope=lab`);
    await waitForCount(page, 6);
    await waitForText(page, '#connection', 'Live');
    const boot = await post(base, { type: 'BootEpoch', schemaVersion: 1, messageId: randomUUID(), scope: 'lab', bootId: 'second-boot' });
    await waitForCount(page, 0);
    await waitForText(page, '#notes', `Boot epoch ${boot.epoch} started`);
    expect(await page.textContent('#interface-rows')).toContain('No interfaces in this scope.');
    await post(base, detection('lab', 1, 'lab-eth1'));
    await waitForCount(page, 1);
    expect(await tableRows(page)).toEqual([[1, 'lab-eth1', 'ethernet_1']]);
  });

  it('follows the all-in-one across its restart on the same file and port: the table equals the list, no row twice', async () => {
    const { page, record } = browser!;
    for (let n = 2; n <= 8; n++) await post(base, detection('lab', n));
    await page.goto(`${base}/?scope=lab`);
    await waitForCount(page, 8);
    await waitForText(page, '#connection', 'Live');
    const errorsBefore = record.errors.length;
    await service!.stop();
    await waitForText(page, '#connection', 're'); // reconnecting, or relisting
    const restarted = performance.now();
    base = await startAllInOne();
    await post(base, detection('lab', 9, 'after-restart'));
    await waitForCount(page, 9);
    await waitForText(page, '#connection', 'Live');
    const notes = (await page.textContent('#notes')) ?? '';
    console.log(`[web-page] after the restart the page showed the new row in ${(performance.now() - restarted).toFixed(0)} ms (${notes.includes('Relisted') ? 'relisted' : 'resumed from Last-Event-ID'})`);
    const rows = await tableRows(page);
    expect(new Set(rows.map(([i]) => i)).size).toBe(rows.length);
    expect(rows).toEqual(await serverRows(base, 'lab'));
    // While the service was down the browser could not connect: those are its only errors.
    const during = record.errors.slice(errorsBefore);
    console.log(`[web-page] console errors while the service was down: ${during.length ? during.join(' | ') : 'none'}`);
    expect(during.filter((e) => !/ERR_CONNECTION_REFUSED|ERR_CONNECTION_RESET|ERR_EMPTY_RESPONSE/.test(e))).toEqual([]);
  });

  it('relists, and says so, when a query replica restarts further on than the changes it keeps; the page is the query service’s too', async () => {
    const { page, record } = browser!;
    const replicaPort = await freePort();
    const startReplica = async () => {
      const replica = await startService(serviceMain('query'), { env: { IFREG_HTTP_PORT: String(replicaPort), IFREG_SQLITE_PATH: db, IFREG_WATCH_HISTORY: '5' }, ready: 'query service caught up' });
      started.push(replica);
      return replica;
    };
    let replica = await startReplica();
    await page.goto(`${replica.url}/?scope=lab`);
    await waitForCount(page, 9);
    await waitForText(page, '#connection', 'Live');
    const errorsBefore = record.errors.length;
    await replica.stop();
    // While it is down the writer goes on: more changes than the replica keeps for resuming.
    for (let n = 10; n <= 17; n++) await post(base, detection('lab', n));
    replica = await startReplica();
    await waitForText(page, '#notes', 'Relisted', 30_000);
    await waitForCount(page, 17);
    await waitForText(page, '#connection', 'Live');
    await post(base, detection('lab', 18));
    await waitForCount(page, 18);
    const rows = await tableRows(page);
    expect(new Set(rows.map(([i]) => i)).size).toBe(rows.length);
    expect(rows).toEqual(await serverRows(replica.url, 'lab'));
    const during = record.errors.slice(errorsBefore);
    console.log(`[web-page] console errors around the replica's restart: ${during.length ? during.join(' | ') : 'none'}`);
    expect(during.filter((e) => !/ERR_CONNECTION_REFUSED|ERR_CONNECTION_RESET|ERR_EMPTY_RESPONSE|410/.test(e))).toEqual([]);
    expect(offHost(record.requests)).toEqual([]);
    await replica.stop();
  });

  // One browser per shot, each shot a test of its own: five launches and ten accessibility
  // scans do not fit one test's time on a busy machine.
  it.each([
    ['desktop', { width: 1440, height: 900 }, '', 'light'],
    ['desktop-detail', { width: 1440, height: 900 }, '&luid=ethernet_1', 'light'],
    ['desktop-dark', { width: 1440, height: 900 }, '', 'dark'],
    ['phone', { width: 390, height: 844 }, '', 'light'],
    ['phone-detail', { width: 390, height: 844 }, '&luid=ethernet_1', 'dark'],
  ] as const)('writes the README screenshot %s, with no serious or critical accessibility finding', async (name, viewport, detail, scheme) => {
    mkdirSync(screenshots, { recursive: true });
    {
      const session = await openBrowser(viewport, scheme);
      try {
        await session.page.goto(`${base}/?scope=lab${detail}`);
        await waitForCount(session.page, 18);
        await waitForText(session.page, '#connection', 'Live');
        await waitForText(session.page, '#failure-list', 'INVALID_PARAMETER');
        if (detail) await waitForText(session.page, '#history-note', 'event');
        await session.page.screenshot({ path: join(screenshots, `${name}.png`) });
        for (const colorScheme of ['light', 'dark'] as const) {
          await session.page.emulateMedia({ colorScheme });
          const findings = await axeFindings(session.page);
          console.log(`[web-page] axe, ${name} (${colorScheme}): ${findings.length ? findings.map((f) => `${f.id} ${f.impact} ×${f.nodes}`).join(', ') : 'no findings'}`);
          expect(findings.filter((f) => f.impact === 'serious' || f.impact === 'critical')).toEqual([]);
        }
        const width = await session.page.evaluate(() => (globalThis as any).document.documentElement.scrollWidth);
        console.log(`[web-page] ${name} (${viewport.width} px wide): page width ${String(width)} px`);
        expect(width).toBeLessThanOrEqual(viewport.width); // no sideways scrolling of the page itself
        expect(session.record.errors).toEqual([]);
      } finally {
        await session.close();
      }
    }
  }, 90_000);
});
