// Test harness: runs the real caremap binary (built beforehand by `make test-browser`) on a
// fresh database and Debian's Chromium through playwright-core. Nothing is built here, and
// nothing leaves 127.0.0.1: requests to other hosts (map tiles) are aborted, so the tests
// are deterministic offline and also prove the page survives failing tiles.

import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { access, cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

/** The repository root (the server is started from here, with `--data data --web web`). */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

const BINARY = join(repoRoot, 'target', 'debug', 'caremap');
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/**
 * A copy of data/ in a temp directory, with `edit(providersGeoJson)` applied to its
 * providers.geojson. Returns the directory.
 * @param {(collection: object) => void} edit
 */
export async function copyDataWith(edit) {
  const dir = await mkdtemp(join(tmpdir(), 'caremap-data-'));
  await cp(join(repoRoot, 'data'), dir, { recursive: true });
  const file = join(dir, 'providers.geojson');
  const collection = JSON.parse(await readFile(file, 'utf8'));
  edit(collection);
  await writeFile(file, JSON.stringify(collection));
  return dir;
}

/**
 * Starts `caremap serve` on a free port with a fresh database.
 * @param {{dataDir?: string, binary?: string}} options dataDir defaults to the repository's
 *   data/, binary to target/debug/caremap (the benchmarks pass the release build)
 * @returns {Promise<{baseUrl: string, stop: () => Promise<void>, getJson: (path: string) => Promise<any>,
 *   postJson: (path: string, body: object) => Promise<any>, dbPath: string}>}
 */
export async function startServer({ dataDir = 'data', binary = BINARY } = {}) {
  try {
    await access(binary);
  } catch {
    throw new Error(`${binary} is missing: run \`cargo build --locked\` (make test-browser does) first`);
  }
  try {
    await access(join(repoRoot, 'web', 'node_modules', 'leaflet', 'dist', 'leaflet.js'));
  } catch {
    throw new Error('web/node_modules is missing: run `make web-deps` (npm ci in web/) first');
  }
  const dbDir = await mkdtemp(join(tmpdir(), 'caremap-db-'));
  const child = spawn(
    binary,
    ['serve', '--addr', '127.0.0.1:0', '--db', join(dbDir, 't.db'), '--data', dataDir, '--web', 'web'],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RUST_LOG: 'warn' } },
  );
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });

  const baseUrl = await new Promise((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => reject(new Error(`caremap did not start within 60 s\n${stderr}`)), 60_000);
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      const m = /caremap listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`caremap exited with ${code} before listening\n${stderr}`));
    });
  });

  // Listening is printed once bound; wait until requests are answered too.
  for (let attempt = 0; ; attempt += 1) {
    try {
      const response = await fetch(`${baseUrl}/healthz`);
      if (response.ok) break;
    } catch (error) {
      if (attempt > 100) throw error;
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  const getJson = async (path) => {
    const response = await fetch(baseUrl + path);
    if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
    return response.json();
  };
  const postJson = async (path, body) => {
    const response = await fetch(baseUrl + path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/geo+json' },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`POST ${path}: ${response.status} ${await response.text()}`);
    return response.json();
  };

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dbDir, { recursive: true, force: true });
  };
  return { baseUrl, stop, getJson, postJson, dbPath: join(dbDir, 't.db') };
}

/** Launches Debian's Chromium, headless. */
export function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

/**
 * Opens the page in a new context. Every request to a host other than 127.0.0.1 is aborted
 * (and counted). Console errors and page errors are collected, except the failed loads of
 * those aborted external requests (map tiles).
 * @param {import('playwright-core').Browser} browser
 * @param {string} baseUrl
 * @param {object} contextOptions extra options for browser.newContext (viewport, geolocation …)
 * @param {string} path the page to open (the map page unless given)
 */
async function openPage(browser, baseUrl, contextOptions = {}, path = '/') {
  const context = await browser.newContext({
    locale: 'ja-JP',
    timezoneId: 'Asia/Tokyo',
    acceptDownloads: true,
    viewport: { width: 1280, height: 800 },
    ...contextOptions,
  });
  const external = [];
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === '127.0.0.1') return route.continue();
    external.push(url.href);
    return route.abort('internetdisconnected');
  });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const where = msg.location()?.url ?? '';
    const externalLoad = /^Failed to load resource/.test(msg.text()) && where && !where.startsWith(baseUrl);
    if (!externalLoad) problems.push(`console error: ${msg.text()} (${where})`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  await page.goto(`${baseUrl}${path}`);
  return { context, page, problems, external };
}

/**
 * Opens a page (as `openPage`), runs `run` with it, and closes its browser context whatever
 * happens: the one way tests get a page.
 * @param {import('playwright-core').Browser} browser
 * @param {string} baseUrl
 * @param {{path?: string} & object} options `path` is the page to open (the map page unless
 *   given); everything else goes to browser.newContext (viewport, geolocation …). May be left
 *   out: `withPage(browser, baseUrl, run)`.
 * @param {(opened: {page: import('playwright-core').Page, problems: string[], external: string[],
 *   context: import('playwright-core').BrowserContext}) => Promise<T>} run
 * @returns {Promise<T>} what `run` returns
 * @template T
 */
export async function withPage(browser, baseUrl, options, run) {
  if (typeof options === 'function') return withPage(browser, baseUrl, {}, options);
  const { path = '/', ...contextOptions } = options;
  const opened = await openPage(browser, baseUrl, contextOptions, path);
  try {
    return await run(opened);
  } finally {
    await opened.context.close();
  }
}

/**
 * Adds a staff account with the real `caremap user add` on the server's database.
 * @param {{dbPath: string}} server
 * @param {string} name
 * @param {string} role editor or admin
 * @returns {string} its token (the last line the command prints)
 */
export function addUser(server, name, role = 'editor') {
  const out = execFileSync(BINARY, ['user', 'add', '--db', server.dbPath, '--role', role, name], { encoding: 'utf8' });
  return out.trim().split('\n').pop();
}

/**
 * Adds a 事業所アカウント with the real `caremap user add --role provider --provider …`.
 * @param {{dbPath: string}} server
 * @param {string} name
 * @param {string[]} providerIds the providers it may keep current
 * @returns {string} its token (the last line the command prints)
 */
export function addProviderUser(server, name, providerIds) {
  const args = ['user', 'add', '--db', server.dbPath, '--role', 'provider', '--provider', providerIds.join(','), name];
  const out = execFileSync(BINARY, args, { encoding: 'utf8' });
  return out.trim().split('\n').pop();
}

/**
 * A request to the API with a token, answered as `{status, etag, body}` (body parsed as JSON
 * when it is JSON, else the text).
 * @param {{baseUrl: string}} server
 * @param {string} method
 * @param {string} path
 * @param {{token?: string|null, etag?: string|null, body?: object|null}} options
 */
export async function apiCall(server, method, path, { token = null, etag = null, body = null } = {}) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (etag) headers['If-Match'] = etag;
  if (body) headers['Content-Type'] = 'application/json';
  const response = await fetch(server.baseUrl + path, { method, headers, body: body ? JSON.stringify(body) : undefined });
  const text = await response.text();
  let parsed = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON (CSV, or an empty body).
  }
  return { status: response.status, etag: response.headers.get('ETag'), body: parsed };
}

/** Today in Japan as 「M/D」, as the map page writes a confirmation of this year (「11/28確認」). */
export function todayMonthDayInJapan(now = new Date()) {
  const [, month, day] = now.toLocaleDateString('sv-SE', { timeZone: 'Asia/Tokyo' }).split('-');
  return `${Number(month)}/${Number(day)}`;
}

/** Waits until the map shows provider markers or clusters. */
export async function waitForMarkers(page) {
  await page.waitForSelector('.leaflet-marker-icon.pin, .leaflet-marker-icon.cluster');
}

/**
 * Providers represented on the map right now: the numbers on cluster icons plus the single
 * markers (everything in view is rendered by markercluster).
 */
export function markerTotal(page) {
  return page.evaluate(() => {
    let total = 0;
    for (const el of document.querySelectorAll('.leaflet-marker-icon.cluster')) {
      total += Number(el.querySelector('[aria-hidden="true"]').textContent);
    }
    return total + document.querySelectorAll('.leaflet-marker-icon.pin').length;
  });
}

/** The provider ids of the result list, in order. */
export function listedIds(page) {
  return page.$$eval('#results > li.result[data-id]', (items) => items.map((li) => li.dataset.id));
}

/** Waits for a search to finish: the heading shows `title` and the section is not busy. */
export async function waitForResults(page, title) {
  await page.waitForFunction(
    (t) => {
      const section = document.getElementById('results-section');
      return !section.hasAttribute('aria-busy') && document.getElementById('results-heading').textContent.includes(t);
    },
    title,
  );
}
