// Screenshots of the real page on the bundled sample for the README, at a phone and a desktop
// width, each after a search so the list is populated. Tiles are offline in tests, so the
// map background is blank; markers, outlines and the list are what the pictures show. And the
// provider page (事業所用) on a phone, signed in, after tapping 受入可, with its Japanese text
// drawn in a Japanese font (fonts-noto-cjk), not as empty boxes.

import assert from 'node:assert/strict';
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, it } from 'node:test';

import {
  addProviderUser,
  launchBrowser,
  listedIds,
  repoRoot,
  startServer,
  waitForMarkers,
  waitForResults,
  withPage,
} from './lib/harness.js';

const OUT = join(repoRoot, 'docs', 'screenshots');
const HERE = { longitude: 139.9, latitude: 35.87, accuracy: 10 };

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  await mkdir(OUT, { recursive: true });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function settle(page) {
  // Let Leaflet finish its zoom/pan animation before the picture is taken.
  await page.waitForFunction(() => !document.querySelector('.leaflet-zoom-anim, .leaflet-cluster-anim'));
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
}

it('takes the phone screenshot after 「現在地から探す」', async () => {
  const options = {
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 1,
    isMobile: true,
    hasTouch: true,
    geolocation: HERE,
    permissions: ['geolocation'],
  };
  await withPage(browser, server.baseUrl, options, async ({ page, problems }) => {
    await waitForMarkers(page);
    await page.getByRole('button', { name: '現在地から探す' }).click();
    await waitForResults(page, '現在地から近い順');
    assert.ok((await listedIds(page)).length > 0);
    await settle(page);
    const path = join(OUT, 'map-phone.png');
    await page.screenshot({ path });
    assert.ok((await stat(path)).size > 10_000);
    assert.deepEqual(problems, []);
  });
});

it('takes the desktop screenshot of a district with a service filter', async () => {
  const options = {
    viewport: { width: 1280, height: 800 },
    deviceScaleFactor: 1,
  };
  await withPage(browser, server.baseUrl, options, async ({ page, problems }) => {
    await waitForMarkers(page);
    await page.selectOption('#district', 'central');
    await waitForResults(page, '圏域の事業所');
    await page.waitForSelector('path.district-outline--selected');
    await page.locator('.chip[data-group="visit"]').click();
    await page.waitForFunction(() => document.getElementById('results-summary').textContent.includes('条件：'));
    await waitForResults(page, '圏域の事業所');
    assert.ok((await listedIds(page)).length > 0);
    await settle(page);
    const path = join(OUT, 'map-desktop.png');
    await page.screenshot({ path });
    assert.ok((await stat(path)).size > 10_000);
    assert.deepEqual(problems, []);
  });
});

it('takes the provider page on a phone after tapping 受入可, its Japanese text in a Japanese font', async () => {
  const { id } = (await server.getJson('/api/providers?kind=care&limit=1')).features[0];
  const token = addProviderUser(server, 'さくら訪問看護ステーション', [id]);
  const options = { path: '/provider.html', viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true };
  await withPage(browser, server.baseUrl, options, async ({ page, problems }) => {
    await page.fill('#token-input', token);
    await page.press('#token-input', 'Enter');
    await page.waitForSelector('.office:not([aria-busy])');
    await page.locator('.office textarea[name="accepting_note"]').fill('火・木の午後なら可');
    await page.locator('.office input[name="accepting_places"]').fill('2');
    await page.locator('.office button[data-state="yes"]').tap();
    await page.waitForFunction(() => /受入可として保存しました/.test(document.querySelector('.office__status').textContent));
    // The fonts Chromium really drew the button's word with (DevTools protocol): a CJK font,
    // so the picture shows Japanese, not empty boxes.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('DOM.enable');
    await cdp.send('CSS.enable');
    const { root } = await cdp.send('DOM.getDocument');
    const { nodeId } = await cdp.send('DOM.querySelector', { nodeId: root.nodeId, selector: '.office .state__label' });
    const { fonts } = await cdp.send('CSS.getPlatformFontsForNode', { nodeId });
    assert.ok(fonts.some((f) => /CJK|Noto Sans JP/.test(f.familyName) && f.glyphCount > 0), JSON.stringify(fonts));
    await page.evaluate(() => document.activeElement?.blur());
    const path = join(OUT, 'provider-phone.png');
    await page.screenshot({ path });
    assert.ok((await stat(path)).size > 10_000);
    assert.deepEqual(problems, []);
  });
});
