// Data is text, never HTML: a provider whose name is an HTML payload is shown literally in
// the list, the marker's title and tooltip, the popup and the printed table, and runs nothing.
// The server is started on a copy of data/ with that one name changed.

import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, it } from 'node:test';

import { copyDataWith, launchBrowser, listedIds, startServer, waitForMarkers, waitForResults, withPage } from './lib/harness.js';

const PAYLOAD = '<img src=x onerror=window.__xss=1>';

let dataDir;
let server;
let browser;
let targetId;

before(async () => {
  dataDir = await copyDataWith((collection) => {
    const feature = collection.features[0];
    feature.properties.name = PAYLOAD;
    targetId = String(feature.id);
  });
  server = await startServer({ dataDir });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

it('shows a provider named like an HTML tag as text and runs nothing', async () => {
  const stored = await server.getJson(`/api/providers/${encodeURIComponent(targetId)}`);
  assert.equal(stored.properties.name, PAYLOAD, 'the server serves the edited name');

  await withPage(browser, server.baseUrl, async ({ page, problems }) => {
    await waitForMarkers(page);
    await page.fill('#q', PAYLOAD);
    await page.press('#q', 'Enter');
    await waitForResults(page, '名称・住所の検索結果');
    assert.deepEqual(await listedIds(page), [targetId]);

    // The list item shows the literal text.
    const item = page.locator(`#results .result[data-id="${targetId}"] .result__show`);
    assert.ok((await item.textContent()).includes(PAYLOAD));
    assert.equal(await item.isVisible(), true);

    // The marker's title, its tooltip and its popup carry the same text.
    const marker = page.locator('.leaflet-marker-icon.pin');
    await marker.waitFor();
    assert.equal(await marker.getAttribute('title'), PAYLOAD);
    await marker.hover();
    await page.waitForSelector('.leaflet-tooltip');
    assert.equal(await page.textContent('.leaflet-tooltip'), PAYLOAD);
    await item.click();
    await page.waitForSelector('.leaflet-popup-content .popup__name');
    assert.equal(await page.textContent('.leaflet-popup-content .popup__name'), PAYLOAD);

    // The printed table too.
    assert.equal(await page.textContent('#print-rows .print-name'), PAYLOAD);

    // Nothing ran and no such element exists anywhere.
    assert.equal(await page.evaluate(() => window.__xss), undefined);
    assert.equal(await page.locator('img[src="x"]').count(), 0);
    assert.deepEqual(problems, []);
  });
});
