// The map page's conditions and their state, in Debian's Chromium on the bundled sample: one
// service chosen on its own, the removable text condition, the search in the address bar
// (copied link, back and forward), list orders, freshness, a place outside the city, and the
// status and error messages on a phone. Expected answers come from the API through Node.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { sortFeatures } from '../../web/lib/map/sort.js';
import { launchBrowser, listedIds, startServer, waitForMarkers, waitForResults, withPage } from './lib/harness.js';

/** A fixed position in the middle of the sample city (lon, lat). */
const HERE = { longitude: 139.9, latitude: 35.87 };
const NEAREST_SHOWN = 20;
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };

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

/** Waits until the results summary contains `text`, and the section is not busy. */
async function waitForSummary(page, text) {
  await page.waitForFunction(
    (t) =>
      !document.getElementById('results-section').hasAttribute('aria-busy') &&
      document.getElementById('results-summary').textContent.includes(t),
    text,
  );
}

/** Whether the element is wholly inside the window as it is now (nothing scrolled). */
async function inView(page, selector, viewport) {
  const box = await page.locator(selector).boundingBox();
  return Boolean(box) && box.y >= 0 && box.x >= 0 && box.y + box.height <= viewport.height && box.x + box.width <= viewport.width;
}

describe('the map page’s conditions', () => {
  it('sends one service chosen on its own as service=<that code> alone', async () => {
    await withGeolocation(async ({ page, problems }) => {
      const services = await server.getJson('/api/services');
      const visit = services.groups.find((g) => g.id === 'visit');
      const nursing = services.services.find((s) => s.code === '130');
      await searchFromHere(page);
      // A group chip first: the single service replaces it.
      await page.locator('.chip[data-group="visit"]').click();
      await waitForSummary(page, `条件：${visit.label}`);

      const [request] = await Promise.all([
        page.waitForRequest((r) => r.url().includes('/api/providers/nearest') && r.url().includes('service=130')),
        page.selectOption('#service', '130'),
      ]);
      await waitForSummary(page, `条件：${nursing.label}`);
      assert.equal(new URL(request.url()).searchParams.get('service'), '130');
      assert.equal(await page.getAttribute('.chip[data-group="visit"]', 'aria-pressed'), 'false');
      const api = await server.getJson(
        `/api/providers/nearest?lon=${HERE.longitude}&lat=${HERE.latitude}&k=${NEAREST_SHOWN}&service=130`,
      );
      assert.deepEqual(await listedIds(page), api.features.map((f) => f.id));
      assert.match(page.url(), /[?&]service=130(&|$)/);
      assert.deepEqual(problems, []);
    });
  });

  it('filters by 24時間対応 and 在宅医療 with their own switches', async () => {
    await withGeolocation(async ({ page, problems }) => {
      await searchFromHere(page);
      const [request] = await Promise.all([
        page.waitForRequest((r) => r.url().includes('/api/providers/nearest') && r.url().includes('available_24h=true')),
        page.locator('.toggle__text', { hasText: '24時間対応' }).click(),
      ]);
      await waitForSummary(page, '24時間対応');
      const asked = new URL(request.url()).searchParams;
      const api = await server.getJson(`/api/providers/nearest?lon=${asked.get('lon')}&lat=${asked.get('lat')}&k=${NEAREST_SHOWN}&available_24h=true`);
      assert.ok(api.features.length > 0);
      assert.deepEqual(await listedIds(page), api.features.map((f) => f.id));

      await Promise.all([
        page.waitForRequest((r) => r.url().includes('home_care=true') && r.url().includes('available_24h=true')),
        page.locator('.toggle__text', { hasText: '在宅療養支援診療所など' }).click(),
      ]);
      await waitForSummary(page, '24時間対応・在宅療養支援診療所など');
      assert.deepEqual(problems, []);
    });
  });

  it('removes the text condition with its chip, applies an emptied box at once, and keeps it out of 現在地', async () => {
    await withGeolocation(async ({ page, problems }) => {
      const south = await server.getJson('/api/providers?district=south&limit=10000');
      const withText = await server.getJson(`/api/providers?district=south&q=${encodeURIComponent('わかば')}&limit=10000`);
      assert.ok(withText.numberMatched > 0 && withText.numberMatched < south.numberMatched);
      await waitForMarkers(page);
      await page.selectOption('#district', 'south');
      await waitForResults(page, '南部圏域');

      await page.fill('#q', 'わかば');
      await page.press('#q', 'Enter');
      await waitForSummary(page, '「わかば」');
      assert.equal((await listedIds(page)).length, withText.numberMatched);
      assert.match(await page.textContent('#text-condition'), /「わかば」で絞り込み中/);

      // The chip's button removes the condition: the whole district again.
      await page.getByRole('button', { name: '「わかば」の条件を外す' }).click();
      await page.waitForFunction((n) => document.querySelectorAll('#results > li.result[data-id]').length === n, south.numberMatched);
      assert.equal(await page.isVisible('#text-condition'), false);
      assert.equal(await page.inputValue('#q'), '');
      assert.doesNotMatch(page.url(), /[?&]q=/);

      // Emptying the box applies at once, without pressing 検索.
      await page.fill('#q', 'わかば');
      await page.press('#q', 'Enter');
      await waitForSummary(page, '「わかば」');
      await page.fill('#q', '');
      await page.waitForFunction((n) => document.querySelectorAll('#results > li.result[data-id]').length === n, south.numberMatched);

      // Text from another search never narrows 現在地 silently.
      await page.fill('#q', '南流山1');
      await page.press('#q', 'Enter');
      await waitForSummary(page, '「南流山1」');
      const [request] = await Promise.all([
        page.waitForRequest((r) => r.url().includes('/api/providers/nearest')),
        page.getByRole('button', { name: '現在地から探す' }).click(),
      ]);
      await waitForResults(page, '現在地から近い順');
      assert.equal(new URL(request.url()).searchParams.has('q'), false);
      assert.equal((await listedIds(page)).length, NEAREST_SHOWN);
      assert.equal(await page.isVisible('#text-condition'), false);
      assert.deepEqual(problems, []);
    });
  });
});

/** Waits until the address bar has stayed the same for half a second (the map stopped moving). */
async function waitForSteadyUrl(page) {
  let last = page.url();
  for (let i = 0; i < 40; i += 1) {
    await page.waitForTimeout(500);
    const now = page.url();
    if (now === last) return;
    last = now;
  }
  throw new Error(`the address kept changing: ${last}`);
}

describe('the search in the address bar', () => {
  it('restores the same list from a copied link in a new browser, and back / forward move between searches', async () => {
    await withGeolocation({ permissions: ['geolocation', 'clipboard-read', 'clipboard-write'] }, async ({ page, problems, context }) => {
      await waitForMarkers(page);
      await page.selectOption('#district', 'north');
      await waitForResults(page, '北部圏域');
      await page.locator('.toggle__text', { hasText: '受入可のみ' }).click();
      await waitForSummary(page, '受入可のみ');
      // The bundled sample's confirmations are all older than 30 days: include them.
      await page.check('#include-stale');
      await waitForSummary(page, '受入可のみ（古い情報も含む）');
      await page.selectOption('#sort', 'name');
      const first = page.locator('#results .result').nth(2);
      const selected = await first.getAttribute('data-id');
      await first.locator('[data-action="show"]').click();
      const ids = await listedIds(page);
      assert.ok(ids.length > 1);
      // Showing a provider opens its popup, which may pan the map (and the address's view)
      // a moment later: copy once the address has settled.
      await waitForSteadyUrl(page);

      await page.getByRole('button', { name: 'リンクをコピー' }).click();
      await page.waitForFunction(() => document.getElementById('status').textContent.includes('リンクをコピーしました'));
      const link = await page.evaluate(() => navigator.clipboard.readText());
      assert.equal(link, page.url());
      const params = new URL(link).searchParams;
      assert.equal(params.get('district'), 'north');
      assert.equal(params.get('accepting'), 'true');
      assert.equal(params.get('include_stale'), 'true');
      assert.equal(params.get('sort'), 'name');
      assert.equal(params.get('selected'), selected);
      assert.ok(params.get('view'));

      // Another browser (a fresh context: no shared storage) opening the link sees the same.
      const path = new URL(link).pathname + new URL(link).search;
      await withPage(browser, server.baseUrl, { path }, async (other) => {
        await waitForResults(other.page, '北部圏域');
        await waitForSummary(other.page, '受入可のみ（古い情報も含む）');
        assert.deepEqual(await listedIds(other.page), ids);
        assert.equal(await other.page.inputValue('#district'), 'north');
        assert.equal(await other.page.isChecked('#accepting'), true);
        assert.equal(await other.page.isChecked('#include-stale'), true);
        assert.equal(await other.page.inputValue('#sort'), 'name');
        await other.page.waitForSelector(`#results li.is-selected[data-id="${selected}"]`);
        assert.deepEqual(other.problems, []);
      });

      // A new search is a new history entry; back returns to the district's list.
      await page.getByRole('button', { name: '現在地から探す' }).click();
      await waitForResults(page, '現在地から近い順');
      assert.ok(new URL(page.url()).searchParams.get('near'));
      await page.goBack();
      await waitForResults(page, '北部圏域');
      await waitForSummary(page, '受入可のみ');
      assert.deepEqual(await listedIds(page), ids);
      await page.goForward();
      await waitForResults(page, '現在地から近い順');
      assert.equal((await listedIds(page)).length, NEAREST_SHOWN);
      assert.deepEqual(problems, []);
    });
  });
});

describe('lists and what they say', () => {
  it('lists a district in 五十音 order by default, and by distance or confirmation on request', async () => {
    await withPage(browser, server.baseUrl, async ({ page, problems }) => {
      const api = await server.getJson('/api/providers?district=central&limit=10000');
      await waitForMarkers(page);
      await page.selectOption('#district', 'central');
      await waitForResults(page, '圏域');
      assert.equal(await page.inputValue('#sort'), 'kana');
      assert.deepEqual(await listedIds(page), sortFeatures(api.features, 'kana').map((f) => f.id));
      assert.notDeepEqual(await listedIds(page), api.features.map((f) => f.id), 'not the id order');

      await page.selectOption('#sort', 'confirmed');
      const dates = await listedIds(page).then((ids) =>
        ids.map((id) => api.features.find((f) => f.id === id).properties.accepting_updated_at ?? ''),
      );
      for (let i = 1; i < dates.length; i += 1) assert.ok(dates[i - 1] >= dates[i], `${dates[i - 1]} before ${dates[i]}`);

      // Let the map settle on the district (its outline fits the view) before ordering by its centre.
      await page.waitForSelector('path.district-outline--selected');
      await page.waitForFunction(() => !document.querySelector('.leaflet-zoom-anim, .leaflet-pan-anim'));
      await page.waitForTimeout(500);
      await page.selectOption('#sort', 'distance');
      const center = await page.evaluate(() => {
        const [lon, lat] = new URL(location.href).searchParams.get('view').split(',').map(Number);
        return [lon, lat];
      });
      const expected = sortFeatures(api.features, 'distance', { center }).map((f) => f.id);
      // The URL's view is rounded to about 1 m; the first few are far enough apart to agree.
      assert.deepEqual((await listedIds(page)).slice(0, 5), expected.slice(0, 5));
      assert.deepEqual(problems, []);
    });
  });

  it('shows 受入可否 with the age of a stale confirmation in the list, and the data’s last update in the footer', async () => {
    await withPage(browser, server.baseUrl, async ({ page, problems }) => {
      const api = await server.getJson('/api/providers?district=east&limit=10000');
      // The bundled sample's confirmations are dated days (older than 30) without a time.
      const dated = api.features.find((f) => f.properties.accepting === 'yes' && f.properties.accepting_updated_at);
      assert.ok(dated, 'the sample has a dated 受入可');
      assert.equal(dated.properties.accepting_stale, true);
      await waitForMarkers(page);
      await page.selectOption('#district', 'east');
      await waitForResults(page, '圏域');
      const todayInJapan = new Date(Date.now() + 9 * 3600 * 1000).toISOString().slice(0, 10);
      const days = (Date.parse(todayInJapan) - Date.parse(dated.properties.accepting_updated_at)) / 86_400_000;
      const badge = await page.textContent(`#results li[data-id="${dated.id}"] .badge--stale`);
      assert.equal(badge, `受入可（確認から${days}日）`);
      assert.match(await page.textContent('#dataset-info'), /データ更新 \d{4}年\d{1,2}月\d{1,2}日/);
      assert.deepEqual(problems, []);
    });
  });

  it('offers no CSV or print for an empty list', async () => {
    await withPage(browser, server.baseUrl, async ({ page, problems }) => {
      await waitForMarkers(page);
      await page.selectOption('#district', 'east');
      await waitForResults(page, '圏域');
      assert.equal(await page.isVisible('#csv-link'), true);
      await page.fill('#q', 'どこにもない名前');
      await page.press('#q', 'Enter');
      await page.waitForFunction(() => document.getElementById('results-summary').textContent.startsWith('0件'));
      assert.equal(await page.isVisible('#csv-link'), false);
      assert.equal(await page.isVisible('#print-button'), false);
      assert.deepEqual(problems, []);
    });
  });

  it('says when a place is outside the city and gives no walking time for far providers', async () => {
    // Chiba city centre, about 25 km south of the sample city.
    const far = { longitude: 140.1233, latitude: 35.6073 };
    const options = { geolocation: { ...far, accuracy: 10 }, permissions: ['geolocation'] };
    await withPage(browser, server.baseUrl, options, async ({ page, problems }) => {
      await searchFromHere(page);
      assert.match(await page.textContent('#results-note'), /現在地は市の区域（日常生活圏域）の外です/);
      assert.equal(await page.locator('#results .distance__value').count(), NEAREST_SHOWN);
      assert.equal(await page.locator('#results .distance__walk').count(), 0, 'no 「徒歩257分」');
      assert.deepEqual(problems, []);
    });
  });
});

describe('status and errors on a phone', () => {
  it('keeps 503 (混み合っています), server fault and offline messages in view at 390×844', async () => {
    await withGeolocation(PHONE, async ({ page, context }) => {
      await waitForMarkers(page);
      const alert = page.getByRole('alert');

      await page.route('**/api/providers/nearest**', (route) =>
        route.fulfill({
          status: 503,
          headers: { 'Retry-After': '1' },
          contentType: 'application/problem+json',
          body: JSON.stringify({ type: 'about:blank', title: 'Service Unavailable', status: 503 }),
        }),
      );
      await page.getByRole('button', { name: '現在地から探す' }).click();
      await alert.waitFor();
      assert.match(await alert.textContent(), /混み合っています/);
      assert.ok(await inView(page, '#error', PHONE.viewport), 'the 503 message is on screen');

      await page.unroute('**/api/providers/nearest**');
      await page.route('**/api/providers/nearest**', (route) => route.fulfill({ status: 500, body: 'boom' }));
      await page.getByRole('button', { name: '現在地から探す' }).click();
      await page.waitForFunction(() => /サーバーでエラー/.test(document.getElementById('error-text').textContent));
      assert.ok(await inView(page, '#error', PHONE.viewport), 'the server fault message is on screen');

      await page.unroute('**/api/providers/nearest**');
      await context.setOffline(true);
      await page.getByRole('button', { name: '現在地から探す' }).click();
      await page.waitForFunction(() => /オフライン/.test(document.getElementById('error-text').textContent));
      assert.ok(await inView(page, '#error', PHONE.viewport), 'the offline message is on screen');
      assert.doesNotMatch(await alert.textContent(), /混み合って|サーバー/);
    });
  });

  it('keeps 「検索しています…」 in view at 390×844', async () => {
    await withGeolocation(PHONE, async ({ page }) => {
      await waitForMarkers(page);
      let release;
      const held = new Promise((resolve) => {
        release = resolve;
      });
      await page.route('**/api/providers/nearest**', async (route) => {
        await held;
        await route.continue();
      });
      await page.getByRole('button', { name: '現在地から探す' }).click();
      await page.waitForFunction(() => document.getElementById('status').textContent === '検索しています…');
      assert.ok(await inView(page, '#status', PHONE.viewport), 'the status is on screen');
      release();
      await waitForResults(page, '現在地から近い順');
    });
  });
});
