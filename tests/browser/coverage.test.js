// 「地域の状況」 on the map page, in Debian's Chromium on the bundled sample at desktop
// (1280×800) and phone (390×844) sizes: one path per grid square the API returns, a legend
// with numbers, the per-district table equal to the API's summary, the requests the
// conditions make, the CSV link, the table of squares, the address bar and printing.
// Expected answers come from the API through Node.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { formatMetres, formatPeople, formatShare } from '../../web/lib/map/coverage-classes.js';
import { launchBrowser, startServer, waitForMarkers, withPage } from './lib/harness.js';

const DESKTOP = { viewport: { width: 1280, height: 800 } };
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };
const VIEW = 'preset=home-care-24h-2km&mesh=500m&population=T001141019';

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Waits until the view has drawn `count` squares and is no longer loading. */
async function waitForSquares(page, count) {
  await page.waitForFunction(
    (n) =>
      !document.getElementById('coverage-report').hasAttribute('aria-busy') &&
      document.querySelectorAll('path.coverage-cell').length === n,
    count,
  );
}

/** The summary table as rows of cell texts (body rows, then the total row). */
function summaryRows(page) {
  return page.$$eval('#coverage-summary tbody tr, #coverage-summary tfoot tr', (rows) =>
    rows.map((tr) => [...tr.children].map((cell) => cell.textContent.trim())),
  );
}

const expectedRow = (d) => [d.name, formatPeople(d.population), formatPeople(d.population_beyond), formatShare(d.share_beyond), String(d.cells_without)];

for (const [size, options] of [
  ['desktop', DESKTOP],
  ['phone', PHONE],
]) {
  describe(`地域の状況 at ${size} size`, () => {
    it('draws one path per square of the API, a legend with numbers, and the API’s summary as the table', async () => {
      await withPage(browser, server.baseUrl, { ...options, path: `/?view=coverage&${VIEW}` }, async ({ page, problems }) => {
        const api = await server.getJson(`/api/coverage?${VIEW}`);
        const summary = await server.getJson(`/api/coverage/summary?${VIEW}`);
        assert.ok(api.features.length > 50, 'the sample city has many 500 m squares');
        await waitForSquares(page, api.features.length);

        const legend = await page.$$eval('#coverage-legend-items li', (items) => items.map((li) => li.textContent));
        assert.deepEqual(legend.slice(0, 5), ['〜500 m', '〜1,000 m', '〜2,000 m', '〜4,000 m', '4,000 m超']);
        assert.ok(await page.isVisible('#coverage-legend'));

        const rows = await summaryRows(page);
        assert.deepEqual(rows, [...summary.districts.map(expectedRow), expectedRow(summary.total)]);
        assert.equal(rows.at(-1)[0], '合計');

        const csv = new URL(await page.getAttribute('#coverage-csv', 'href'), server.baseUrl);
        assert.equal(csv.pathname, '/api/coverage');
        assert.equal(csv.searchParams.get('f'), 'csv');
        assert.equal(csv.searchParams.get('preset'), 'home-care-24h-2km');
        const download = await fetch(csv);
        assert.equal(download.status, 200);
        assert.match(download.headers.get('content-type'), /text\/csv/);

        // The search's panel and list make way for the view's own.
        assert.equal(await page.isVisible('#results-section'), false);
        assert.equal(await page.getAttribute('#view-coverage', 'aria-pressed'), 'true');
        assert.deepEqual(problems, []);
      });
    });

    it(`puts the summary table ${size === 'desktop' ? 'beside' : 'below'} the map`, async () => {
      await withPage(browser, server.baseUrl, { ...options, path: `/?view=coverage&${VIEW}` }, async ({ page }) => {
        const api = await server.getJson(`/api/coverage?${VIEW}`);
        await waitForSquares(page, api.features.length);
        const map = await page.locator('#map').boundingBox();
        const table = await page.locator('#coverage-summary').boundingBox();
        assert.ok(map.height > 200, `the map keeps its height (${map.height})`);
        if (size === 'desktop') {
          assert.ok(table.x + table.width <= map.x + 1, 'the table is left of the map');
          assert.ok(table.y < map.y + map.height, 'side by side, not stacked');
        } else {
          assert.ok(table.y >= map.y + map.height - 1, 'the table is under the map');
          assert.ok(table.width <= options.viewport.width, 'the table fits the phone’s width');
          const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
          assert.ok(scrollWidth <= options.viewport.width, `no sideways scrolling (${scrollWidth})`);
        }
      });
    });

    it('opens from the switch by keyboard and asks again when a preset is chosen', async () => {
      await withPage(browser, server.baseUrl, options, async ({ page, problems }) => {
        // The page wires its controls after its first requests; the markers show it has.
        await waitForMarkers(page);
        const [first] = await Promise.all([
          page.waitForRequest((r) => new URL(r.url()).pathname === '/api/coverage'),
          (async () => {
            await page.focus('#view-coverage');
            await page.keyboard.press('Enter');
          })(),
        ]);
        assert.equal(new URL(first.url()).searchParams.get('preset'), 'home-care-24h-2km');
        const firstApi = await server.getJson(`/api/coverage?${VIEW}`);
        await waitForSquares(page, firstApi.features.length);
        assert.equal(new URL(page.url()).searchParams.get('view'), 'coverage');

        const [request] = await Promise.all([
          page.waitForRequest((r) => new URL(r.url()).pathname === '/api/coverage' && r.url().includes('nursing-accepting-2km')),
          page.selectOption('#coverage-preset', 'nursing-accepting-2km'),
        ]);
        const asked = new URL(request.url()).searchParams;
        assert.equal(asked.get('preset'), 'nursing-accepting-2km');
        assert.equal(asked.get('mesh'), '500m');
        assert.equal(asked.get('population'), 'T001141019');
        const api = await server.getJson(`/api/coverage?${asked}`);
        await page.waitForFunction(() => document.getElementById('coverage-conditions').textContent.includes('訪問看護'));
        await waitForSquares(page, api.features.length);
        assert.equal(new URL(page.url()).searchParams.get('preset'), 'nursing-accepting-2km');
        assert.match(await page.getAttribute('#coverage-csv', 'href'), /preset=nursing-accepting-2km.*f=csv/);

        // Back to the provider search with the switch, and forward again with the browser.
        await page.click('#view-providers');
        assert.equal(await page.locator('path.coverage-cell').count(), 0);
        assert.ok(await page.isVisible('#results-section'));
        assert.notEqual(new URL(page.url()).searchParams.get('view'), 'coverage');
        await page.goBack();
        await waitForSquares(page, api.features.length);
        assert.equal(await page.inputValue('#coverage-preset'), 'nursing-accepting-2km');
        assert.deepEqual(problems, []);
      });
    });
  });
}

describe('地域の状況’s other conditions, table and printout', () => {
  it('colours by people beyond reach without a new request, and restores mesh and colour from a link', async () => {
    const path = '/?view=coverage&preset=nursing-accepting-2km&mesh=1km&population=T001141022&color=beyond';
    await withPage(browser, server.baseUrl, { ...DESKTOP, path: path }, async ({ page, problems }) => {
      const api = await server.getJson('/api/coverage?preset=nursing-accepting-2km&mesh=1km&population=T001141022');
      await waitForSquares(page, api.features.length);
      assert.equal(await page.inputValue('#coverage-mesh'), '1km');
      assert.equal(await page.inputValue('#coverage-population'), 'T001141022');
      assert.ok(await page.isChecked('input[name="coverage-color"][value="beyond"]'));
      const within = api.features.filter((f) => f.properties.count_within > 0).length;
      assert.equal(await page.locator('path.coverage-cell--within').count(), within);
      assert.match(await page.textContent('#coverage-legend-title'), /圏外の人口（75歳以上/);
      const legend = await page.$$eval('#coverage-legend-items li', (items) => items.map((li) => li.textContent));
      assert.ok(legend.some((text) => /\d人/.test(text)), `people in the legend: ${legend}`);

      let asked = 0;
      page.on('request', (r) => {
        if (new URL(r.url()).pathname.startsWith('/api/coverage')) asked += 1;
      });
      await page.check('input[name="coverage-color"][value="distance"]');
      await page.waitForFunction(() => document.getElementById('coverage-legend-title').textContent === '最寄りまでの距離');
      assert.equal(await page.locator('path.coverage-cell--within').count(), 0);
      assert.equal(asked, 0);
      assert.equal(new URL(page.url()).searchParams.get('color'), 'distance');
      assert.deepEqual(problems, []);
    });
  });

  it('asks for 250 m squares when chosen, and falls back to the defaults for ids it does not know', async () => {
    await withPage(browser, server.baseUrl, { ...DESKTOP, path: '/?view=coverage&preset=nope&population=T999&mesh=5km' }, async ({ page, problems }) => {
      const api = await server.getJson(`/api/coverage?${VIEW}`);
      await waitForSquares(page, api.features.length);
      assert.equal(await page.inputValue('#coverage-preset'), 'home-care-24h-2km');
      assert.equal(await page.inputValue('#coverage-population'), 'T001141019');

      const [request] = await Promise.all([
        page.waitForRequest((r) => new URL(r.url()).pathname === '/api/coverage' && r.url().includes('mesh=250m')),
        page.selectOption('#coverage-mesh', '250m'),
      ]);
      const fine = await server.getJson(`/api/coverage?${new URL(request.url()).searchParams}`);
      assert.ok(fine.features.length > api.features.length * 3, 'four 250 m squares to a 500 m one');
      await waitForSquares(page, fine.features.length);
      assert.equal(new URL(page.url()).searchParams.get('mesh'), '250m');
      assert.deepEqual(problems, []);
    });
  });

  it('lists every square in a table for keyboard and screen-reader users, and each square’s popup as text', async () => {
    await withPage(browser, server.baseUrl, { ...DESKTOP, path: `/?view=coverage&${VIEW}` }, async ({ page }) => {
      const api = await server.getJson(`/api/coverage?${VIEW}`);
      await waitForSquares(page, api.features.length);
      await page.focus('#coverage-squares summary');
      await page.keyboard.press('Enter');
      assert.ok(await page.isVisible('#coverage-squares table'));
      assert.match(await page.textContent('#coverage-squares-caption'), new RegExp(`${api.features.length}区画`));
      const rows = await page.$$eval('#coverage-squares-rows tr', (trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent)));
      assert.equal(rows.length, api.features.length);
      const p = api.features[0].properties;
      assert.deepEqual(rows[0], [p.mesh_code, rows[0][1], formatMetres(p.nearest_m), String(p.count_within), formatPeople(p.population)]);

      await page.locator('path.coverage-cell').first().dispatchEvent('click');
      const popup = await page.textContent('.coverage-popup');
      assert.match(popup, new RegExp(`メッシュ ${api.features[0].id}`));
      assert.match(popup, /最寄りまでの距離/);
    });
  });

  it('prints the conditions, legend and summary table without the map', async () => {
    await withPage(browser, server.baseUrl, { ...DESKTOP, path: `/?view=coverage&${VIEW}` }, async ({ page }) => {
      const api = await server.getJson(`/api/coverage?${VIEW}`);
      await waitForSquares(page, api.features.length);
      await page.emulateMedia({ media: 'print' });
      assert.ok(await page.isVisible('#coverage-summary'));
      assert.ok(await page.isVisible('#coverage-legend'));
      assert.ok(await page.isVisible('#coverage-conditions'));
      assert.equal(await page.isVisible('#map'), false);
      assert.equal(await page.isVisible('#coverage-print'), false);
      assert.equal(await page.isVisible('.print-area'), false);
    });
  });
});
