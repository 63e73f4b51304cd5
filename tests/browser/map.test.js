// The map page on the bundled sample, in Debian's Chromium: loading, viewport markers,
// nearest from a fixed geolocation, service chips, districts, drawn areas, name search,
// CSV, failing tiles and failing API calls. Expected answers come from the API itself,
// fetched here through Node, never through the page.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { sortFeatures } from '../../web/lib/map/sort.js';
import { downloadProviderCsv } from './lib/csv.js';
import { launchBrowser, listedIds, markerTotal, startServer, waitForMarkers, waitForResults, withPage } from './lib/harness.js';

/** A fixed position in the middle of the sample city (lon, lat). */
const HERE = { longitude: 139.9, latitude: 35.87 };
const NEAREST_SHOWN = 20;

let server;
let browser;
let services;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  services = await server.getJson('/api/services');
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/**
 * Runs `run` on the map page while its /api/services answer is held back, as on a slow phone
 * link: the page has loaded but is not ready (no map yet) until `release` is called.
 */
async function withHeldPage(run) {
  // Opened on a static file first, so that no map page is left loading behind the held one.
  await withPage(browser, server.baseUrl, { path: '/favicon.svg' }, async ({ page, problems }) => {
    let onHeld = () => {};
    const held = new Promise((resolve) => {
      onHeld = resolve;
    });
    await page.route('**/api/services', async (route) => {
      await new Promise((resolve) => onHeld(resolve));
      await route.continue();
    });
    await page.goto(`${server.baseUrl}/`);
    const release = await held;
    assert.equal(await page.evaluate(() => Boolean(document.querySelector('.leaflet-container'))), false);
    await run({ page, release, problems });
  });
}

/** In the page: whether the map represents exactly n providers (clusters' counts + pins). */
/**
 * Whether the map shows exactly n providers. Leaflet keeps the old zoom level's clusters in the
 * page while a zoom animates (each provider counted twice for a moment), so the count is only
 * read once no zoom animation runs.
 */
function countIs(n) {
  if (document.querySelector('.leaflet-zoom-anim')) return false;
  let total = 0;
  for (const el of document.querySelectorAll('.leaflet-marker-icon.cluster')) {
    total += Number(el.querySelector('[aria-hidden="true"]').textContent);
  }
  return total + document.querySelectorAll('.leaflet-marker-icon.pin').length === n;
}

/**
 * Up to n points (page coordinates) on a circle around the map centre where a click reaches
 * the map itself, not a marker, cluster or control.
 */
function emptyMapSpots(page, n) {
  return page.evaluate((wanted) => {
    const box = document.getElementById('map').getBoundingClientRect();
    const cx = box.left + box.width / 2;
    const cy = box.top + box.height / 2;
    const r = Math.min(box.width, box.height) * 0.3;
    const found = [];
    for (let deg = 0; deg < 360 && found.length < wanted; deg += 10) {
      const x = cx + r * Math.cos((deg * Math.PI) / 180);
      const y = cy + r * Math.sin((deg * Math.PI) / 180);
      const hit = document.elementFromPoint(x, y);
      const blocked = !hit || hit.closest('.leaflet-marker-icon, .leaflet-control, .draw-toolbar, .legend, .map-notice');
      if (!blocked && hit.closest('#map')) {
        found.push({ x, y });
        deg += 50;
      }
    }
    return found;
  }, n);
}

function groupById(id) {
  const group = services.groups.find((g) => g.id === id);
  assert.ok(group, `the API offers the ${id} group`);
  return group;
}

/** Runs `run` on the map page with the browser at HERE (see withPage); `extra` may be left out. */
function withGeolocation(extra, run) {
  if (typeof extra === 'function') return withGeolocation({}, extra);
  const options = { geolocation: { ...HERE, accuracy: 10 }, permissions: ['geolocation'], ...extra };
  return withPage(browser, server.baseUrl, options, run);
}

async function searchFromHere(page) {
  await waitForMarkers(page);
  await page.getByRole('button', { name: '現在地から探す' }).click();
  await waitForResults(page, '現在地から近い順');
}

describe('the map page', () => {
  it('loads in Japanese with the sample notice and without console errors', async () => {
    await withPage(browser, server.baseUrl, async ({ page, problems }) => {
      await waitForMarkers(page);
      assert.equal(await page.getAttribute('html', 'lang'), 'ja');
      assert.equal(await page.isVisible('#sample-notice'), true);
      assert.match(await page.textContent('#sample-notice'), /サンプルデータ/);
      // Chips come from /api/services, one per group, in the API's order.
      const chips = await page.$$eval('.chip .chip__label', (els) => els.map((e) => e.textContent));
      assert.deepEqual(chips, services.groups.map((g) => g.label));
      // The district select is filled from /api/districts.
      const districts = await server.getJson('/api/districts');
      assert.equal(await page.locator('#district option').count(), districts.features.length + 1);
      assert.deepEqual(problems, []);
    });
  });

  it('takes its tile layers from /api/about: 地理院タイル by default, OpenStreetMap as the alternative', async () => {
    await withPage(browser, server.baseUrl, async ({ page, problems, external }) => {
      const about = await server.getJson('/api/about');
      const [first, second] = about.tiles;
      await waitForMarkers(page);
      assert.match(await page.textContent('.leaflet-control-attribution'), /地理院タイル/);
      assert.ok(external.some((u) => u.startsWith(new URL(first.url.split('{')[0]).origin)));

      await page.locator('.leaflet-control-layers').hover();
      await page.getByLabel(second.name).check();
      await page.waitForFunction(() => /OpenStreetMap/.test(document.querySelector('.leaflet-control-attribution').textContent));
      assert.doesNotMatch(await page.textContent('.leaflet-control-attribution'), /地理院タイル/);
      await page.waitForFunction(
        () => [...document.querySelectorAll('img.leaflet-tile')].some((img) => img.src.includes('tile.openstreetmap.org')),
      );
      assert.deepEqual(problems, []);
    });
  });

  it('shows every provider of the viewport once, and a small pan loads nothing', async () => {
    await withPage(browser, server.baseUrl, async ({ page, problems }) => {
      const bboxRequests = [];
      page.on('request', (r) => {
        if (r.url().includes('/api/providers?') && r.url().includes('bbox=')) bboxRequests.push(r.url());
      });
      await waitForMarkers(page);
      const about = await server.getJson('/api/about');
      // The first view is the whole sample city: every provider is on the map, once.
      await page.waitForFunction(
        (n) => document.getElementById('results-summary').textContent.includes(`${n}件`),
        about.providers,
      );
      assert.equal(await markerTotal(page), about.providers);

      // A small pan stays inside the loaded box (with its margin): no new request.
      const before = bboxRequests.length;
      await page.locator('#map').focus();
      await page.keyboard.press('ArrowRight');
      await page.waitForTimeout(1000);
      assert.equal(bboxRequests.length, before, 'a small pan must not reload the viewport');

      // Zooming out leaves the loaded box: a new request, and still no duplicated marker.
      const reloaded = page.waitForResponse((r) => r.url().includes('/api/providers?') && r.url().includes('bbox='));
      await page.locator('.leaflet-control-zoom-out').click();
      await reloaded;
      await page.waitForSelector('#map-section:not([aria-busy])');
      // While markercluster animates the zoom, both levels' icons exist; wait for it to settle.
      // A duplicated marker would keep the total above the catalog size and time this out.
      await page.waitForFunction(countIs, about.providers);
      await page.waitForFunction(() => !document.querySelector('.leaflet-zoom-anim'));
      assert.equal(await markerTotal(page), about.providers);
      assert.ok(bboxRequests.length > before);
      const titles = await page.$$eval('.leaflet-marker-icon.pin', (els) => els.map((e) => e.getAttribute('title')));
      assert.ok(titles.every((t) => t && t.length > 0), 'every marker has a descriptive title');
      assert.deepEqual(problems, []);
    });
  });

  it('lists the nearest providers from the current position, nearest first', async () => {
    await withGeolocation(async ({ page, problems }) => {
      await searchFromHere(page);
      const ids = await listedIds(page);
      const api = await server.getJson(`/api/providers/nearest?lon=${HERE.longitude}&lat=${HERE.latitude}&k=${NEAREST_SHOWN}`);
      const nearest = await server.getJson(`/api/providers/nearest?lon=${HERE.longitude}&lat=${HERE.latitude}&k=1`);
      assert.equal(ids.length, NEAREST_SHOWN);
      assert.equal(ids[0], nearest.features[0].id, 'the first item is the true nearest');
      assert.deepEqual(ids, api.features.map((f) => f.id));

      // Distances are their own text, in increasing order, with 徒歩N分 at 80 m a minute.
      const shown = await page.$$eval('#results .result', (items) =>
        items.map((li) => ({
          distance: li.querySelector('.distance__value').textContent,
          walk: li.querySelector('.distance__walk')?.textContent ?? '',
          tel: li.querySelector('a.tel-link')?.getAttribute('href') ?? null,
        })),
      );
      const metres = shown.map(({ distance }) => {
        const m = /^(\d+(?:\.\d)?) (m|km)$/.exec(distance);
        assert.ok(m, `distance text ${distance}`);
        return Number(m[1]) * (m[2] === 'km' ? 1000 : 1);
      });
      for (let i = 1; i < metres.length; i += 1) assert.ok(metres[i - 1] <= metres[i], `${metres}`);
      shown.forEach(({ walk }, i) => {
        const m = api.features[i].properties.distance_m;
        assert.equal(walk, m <= 2000 ? `徒歩${Math.max(1, Math.ceil(m / 80))}分` : '', 'walking time only up to 2 km');
      });
      assert.ok(shown.every(({ tel }) => tel === null || /^tel:\+?\d+$/.test(tel)));
      assert.ok(shown.some(({ tel }) => tel !== null), 'phone numbers dial when tapped');

      // Focus moved to the list; the map shows exactly the numbered results.
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'results');
      assert.equal(await page.locator('.leaflet-marker-icon.pin--ranked').count(), NEAREST_SHOWN);
      assert.deepEqual(problems, []);
    });
  });

  it('lists the providers nearest to a place tapped on the map', async () => {
    await withPage(browser, server.baseUrl, async ({ page, problems }) => {
      await waitForMarkers(page);
      const [spot] = await emptyMapSpots(page, 1);
      assert.ok(spot, 'an empty spot on the map');
      await page.mouse.click(spot.x, spot.y);
      const button = page.locator('.chosen-popup button');
      await button.waitFor();
      const [request] = await Promise.all([
        page.waitForRequest((r) => r.url().includes('/api/providers/nearest')),
        button.click(),
      ]);
      await waitForResults(page, '選んだ場所から近い順');
      const asked = new URL(request.url()).searchParams;
      const api = await server.getJson(`/api/providers/nearest?lon=${asked.get('lon')}&lat=${asked.get('lat')}&k=${NEAREST_SHOWN}`);
      assert.deepEqual(await listedIds(page), api.features.map((f) => f.id));
      assert.equal(await page.locator('.origin--place').count(), 1, 'the chosen place is marked');
      assert.deepEqual(problems, []);
    });
  });

  it('narrows the results with a service chip', async () => {
    await withGeolocation(async ({ page, problems }) => {
      const visit = groupById('visit');
      await searchFromHere(page);
      const unfiltered = await page.evaluate(() => [...document.querySelectorAll('#results .result')].map((li) => li.dataset.id));

      await page.locator(`.chip[data-group="${visit.id}"]`).click();
      await page.waitForFunction(
        (label) => document.getElementById('results-summary').textContent.includes(`条件：${label}`),
        visit.label,
      );
      await waitForResults(page, '現在地から近い順');
      assert.equal(await page.getAttribute(`.chip[data-group="${visit.id}"]`, 'aria-pressed'), 'true');
      const ids = await listedIds(page);
      assert.ok(ids.length > 0);
      const offers = new Set(visit.services);
      for (const id of ids) {
        const p = await server.getJson(`/api/providers/${encodeURIComponent(id)}`);
        assert.ok(p.properties.services.some((s) => offers.has(s)), `${id} offers a ${visit.label} service`);
      }
      const api = await server.getJson(
        `/api/providers/nearest?lon=${HERE.longitude}&lat=${HERE.latitude}&k=${NEAREST_SHOWN}&service=${visit.filter.service}`,
      );
      assert.deepEqual(ids, api.features.map((f) => f.id));
      // The chip removed someone: the unfiltered list had providers without these services.
      const removed = unfiltered.filter((id) => !ids.includes(id));
      assert.ok(removed.length > 0, 'the chip narrowed the list');
      assert.deepEqual(problems, []);
    });
  });

  it('treats a home-medical chip and a service chip as either, not both', async () => {
    await withGeolocation(async ({ page, problems }) => {
      const visit = groupById('visit');
      const home = groupById('home_medical');
      await searchFromHere(page);
      await page.locator(`.chip[data-group="${visit.id}"]`).click();
      await page.locator(`.chip[data-group="${home.id}"]`).click();
      await page.waitForFunction(
        (text) => document.getElementById('results-summary').textContent.includes(text),
        `条件：${visit.label}・${home.label}`,
      );
      await waitForResults(page, '現在地から近い順');
      const ids = await listedIds(page);
      const base = `/api/providers/nearest?lon=${HERE.longitude}&lat=${HERE.latitude}&k=${NEAREST_SHOWN}`;
      const [a, b] = await Promise.all([
        server.getJson(`${base}&service=${visit.filter.service}`),
        server.getJson(`${base}&home_care=true`),
      ]);
      const union = [...a.features, ...b.features]
        .sort((x, y) => x.properties.distance_m - y.properties.distance_m)
        .filter((f, i, all) => all.findIndex((g) => g.id === f.id) === i)
        .slice(0, NEAREST_SHOWN)
        .map((f) => f.id);
      assert.deepEqual(ids, union);
      assert.ok(ids.some((id) => b.features.some((f) => f.id === id)), 'home-medical providers are listed');
      assert.ok(ids.some((id) => a.features.some((f) => f.id === id)), 'visiting services are listed');

      // Its CSV is built from both requests: one BOM, one header, the listed providers in order.
      const csv = await downloadProviderCsv(page);
      assert.deepEqual(csv.ids, ids);
      assert.deepEqual(problems, []);
    });
  });

  it('draws the chosen district and lists only its providers', async () => {
    await withPage(browser, server.baseUrl, async ({ page, problems }) => {
      const districts = await server.getJson('/api/districts');
      const north = districts.features.find((f) => f.id === 'north');
      assert.ok(north, 'the sample has a north district');
      const name = north.properties.name;
      await waitForMarkers(page);
      await page.selectOption('#district', 'north');
      await waitForResults(page, `${name}圏域`);
      await page.waitForSelector('path.district-outline--selected');
      assert.equal(await page.locator('path.district-outline--selected').isVisible(), true);

      const ids = await listedIds(page);
      const api = await server.getJson('/api/providers?district=north&limit=10000');
      assert.equal(ids.length, north.properties.provider_count);
      assert.equal(ids.length, api.numberMatched);
      assert.deepEqual(new Set(ids), new Set(api.features.map((f) => f.id)));
      const metas = await page.$$eval('#results .result__meta', (els) => els.map((e) => e.textContent));
      assert.ok(metas.every((m) => m.includes(`${name}圏域`)), 'every item is in the district');
      // The map shows the same providers and no others.
      await page.waitForFunction(countIs, ids.length);
      await page.waitForFunction(() => !document.querySelector('.leaflet-zoom-anim'));
      assert.equal(await markerTotal(page), ids.length);

      // CSV of the same query: UTF-8 with a BOM and the Japanese header, one row a provider.
      assert.match(await page.getAttribute('#csv-link', 'href'), /f=csv/);
      const { download, header, records, ids: csvIds } = await downloadProviderCsv(page);
      // Named by the server after what it holds and the day in Japan, not 「providers.csv」.
      const today = new Date().toLocaleDateString('sv-SE', { timeZone: 'Asia/Tokyo' });
      assert.equal(download.suggestedFilename(), `caremap_${name}圏域_${today}.csv`);
      // The 圏域 column holds the district's name, not its id.
      const column = header.indexOf('圏域');
      assert.ok(column > 0 && records.length === ids.length);
      assert.deepEqual(new Set(csvIds), new Set(ids));
      assert.ok(records.every((r) => r[column] === name), 'the 圏域 column names the district');
      assert.deepEqual(problems, []);
    });
  });

  it('reflows on a phone and at 200 % zoom without sideways scrolling', async () => {
    // 640×400 is what a 1280×800 screen offers at 200 % zoom.
    for (const viewport of [{ width: 390, height: 844 }, { width: 640, height: 400 }, { width: 320, height: 568 }]) {
      await withGeolocation({ viewport, hasTouch: true, isMobile: true }, async ({ page, problems }) => {
        await searchFromHere(page);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        assert.equal(overflow, 0, `no horizontal scrolling at ${viewport.width}px`);
        const first = page.locator('#results .result').first();
        await first.scrollIntoViewIfNeeded();
        assert.equal(await first.isVisible(), true);
        const box = await first.boundingBox();
        assert.ok(box.x >= 0 && box.x + box.width <= viewport.width, `the list fits ${viewport.width}px`);
        assert.deepEqual(problems, []);
      });
    }
  });

  it('prints the list as a clean table without the map', async () => {
    await withGeolocation(async ({ page, problems }) => {
      await searchFromHere(page);
      await page.evaluate(() => {
        window.__printed = 0;
        window.print = () => {
          window.__printed += 1;
        };
      });
      await page.getByRole('button', { name: '印刷' }).click();
      assert.equal(await page.evaluate(() => window.__printed), 1);

      await page.emulateMedia({ media: 'print' });
      assert.equal(await page.isVisible('.print-table'), true);
      for (const hidden of ['#map', '.leaflet-control-zoom', '#locate-button', '#results', '.site-header']) {
        assert.equal(await page.isVisible(hidden), false, `${hidden} is not printed`);
      }
      const rows = await page.$$eval('#print-rows tr', (trs) => trs.map((tr) => tr.cells[1].textContent));
      const names = await page.$$eval('#results .result__show > span:first-child', (els) => els.map((e) => e.textContent));
      assert.equal(rows.length, NEAREST_SHOWN);
      rows.forEach((cell, i) => assert.ok(cell.startsWith(names[i]), `row ${i + 1} is ${names[i]}`));
      assert.equal(await page.isVisible('#print-sample'), true, 'the printout says it is sample data');
      assert.deepEqual(problems, []);
    });
  });

  it('searches inside an area drawn on the map', async () => {
    await withPage(browser, server.baseUrl, async ({ page, problems }) => {
      await waitForMarkers(page);
      await page.getByRole('button', { name: '範囲を描いて探す' }).click();
      assert.equal(await page.getAttribute('#draw-button', 'aria-pressed'), 'true');
      // Corners on empty map (a click on a marker or cluster would open or zoom it instead).
      const points = await emptyMapSpots(page, 5);
      assert.ok(points.length >= 3, `found ${points.length} empty spots`);
      for (const [i, p] of points.entries()) {
        await page.mouse.click(p.x, p.y);
        await page.waitForFunction((n) => document.getElementById('draw-status').textContent.includes(`${n}点`), i + 1);
      }
      // One more corner from the keyboard-friendly button: the map centre.
      await page.getByRole('button', { name: '中心に点を追加' }).click();
      const [request] = await Promise.all([
        page.waitForRequest((r) => r.url().includes('/api/providers/search') && r.method() === 'POST'),
        page.getByRole('button', { name: '完了して検索' }).click(),
      ]);
      await waitForResults(page, '描いた範囲内の事業所');
      const polygon = request.postDataJSON();
      assert.equal(polygon.type, 'Polygon');
      assert.equal(polygon.coordinates[0].length, points.length + 2, 'closed ring of every corner');
      const api = await server.postJson('/api/providers/search?limit=1000', polygon);
      const ids = await listedIds(page);
      assert.ok(ids.length > 0, 'the drawn area holds providers');
      assert.deepEqual(ids, sortFeatures(api.features, 'kana').map((f) => f.id), 'in 五十音 order');
      assert.equal(await page.locator('path.search-area').count(), 1);

      // Its CSV (a POST, so built in the page) still opens in Excel: BOM, header, same rows.
      const csv = await downloadProviderCsv(page);
      assert.deepEqual(new Set(csv.ids), new Set(ids));
      assert.equal(csv.records.length, ids.length);
      assert.deepEqual(problems, []);
    });
  });

  it('finds providers by name, kana-insensitively', async () => {
    await withPage(browser, server.baseUrl, async ({ page, problems }) => {
      await waitForMarkers(page);
      await page.fill('#q', 'さくら');
      await page.press('#q', 'Enter');
      await waitForResults(page, '名称・住所の検索結果');
      const ids = await listedIds(page);
      const api = await server.getJson(`/api/providers?q=${encodeURIComponent('さくら')}&limit=1000`);
      assert.ok(ids.length > 0);
      assert.deepEqual(ids, sortFeatures(api.features, 'kana').map((f) => f.id));
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'results');
      assert.deepEqual(problems, []);
    });
  });

  it('keeps a name typed while the page loads, and searches one submitted then once it is ready', async () => {
    // Typed, not submitted: still in the box once the page is ready, and nothing searched.
    await withHeldPage(async ({ page, release, problems }) => {
      await page.fill('#q', 'さくら');
      release();
      await waitForMarkers(page);
      assert.equal(await page.inputValue('#q'), 'さくら');
      assert.equal(await page.textContent('#results-heading'), '事業所の一覧');
      assert.deepEqual(problems, []);
    });

    // Typed and submitted before the page is ready: searched when it is, in the same document
    // (the browser did not submit the form and load the page all over again).
    await withHeldPage(async ({ page, release, problems }) => {
      await page.evaluate(() => {
        window.__sameDocument = true;
      });
      await page.fill('#q', 'さくら');
      await page.press('#q', 'Enter');
      release();
      await waitForResults(page, '名称・住所の検索結果');
      assert.equal(await page.evaluate(() => window.__sameDocument), true);
      const api = await server.getJson(`/api/providers?q=${encodeURIComponent('さくら')}&limit=1000`);
      assert.deepEqual(await listedIds(page), sortFeatures(api.features, 'kana').map((f) => f.id));
      assert.match(page.url(), /[?&]q=/);
      assert.deepEqual(problems, []);
    });
  });

  it('keeps working when map tiles cannot be loaded', async () => {
    await withGeolocation(async ({ page, problems, external }) => {
      await waitForMarkers(page);
      await page.waitForSelector('#map-notice:not([hidden])');
      assert.match(await page.textContent('#map-notice'), /背景地図を読み込めませんでした/);
      assert.ok(external.some((u) => u.includes('cyberjapandata.gsi.go.jp')), 'tiles were requested (and failed)');
      await page.getByRole('button', { name: '現在地から探す' }).click();
      await waitForResults(page, '現在地から近い順');
      assert.equal((await listedIds(page)).length, NEAREST_SHOWN);
      assert.deepEqual(problems, []);
    });
  });

  it('says in Japanese when the position cannot be obtained', async () => {
    // No geolocation permission in this context: the browser refuses the position.
    await withPage(browser, server.baseUrl, async ({ page, problems }) => {
      await waitForMarkers(page);
      await page.getByRole('button', { name: '現在地から探す' }).click();
      const alert = page.getByRole('alert');
      await alert.waitFor();
      assert.match(await alert.textContent(), /^位置情報を取得できませんでした。/);
      assert.equal(await page.isEnabled('#locate-button'), true, 'the button can be pressed again');
      assert.deepEqual(problems, []);
    });
  });

  it('says in Japanese when the API cannot be reached', async () => {
    await withGeolocation(async ({ page }) => {
      await waitForMarkers(page);
      await page.route('**/api/providers/nearest**', (route) => route.abort('connectionrefused'));
      await page.getByRole('button', { name: '現在地から探す' }).click();
      const alert = page.getByRole('alert');
      await alert.waitFor();
      assert.equal(await alert.textContent(), '通信に失敗しました。時間をおいて再度お試しください。');
    });
  });
});
