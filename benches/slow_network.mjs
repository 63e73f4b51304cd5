// The map page on a slow phone network: Chromium (playwright-core, DevTools network emulation)
// on a "slow 4G" link — 150 ms latency, 1.6 Mb/s down, 750 kb/s up — opens the map page of
// the release build serving the bundled sample, and reports the time until the first markers
// show, the requests and the bytes transferred (compressed, with headers) to the server.
// Each run is a fresh browser context (cold cache); a reload in the same context then shows
// what revalidation costs a returning visitor. Map tiles (other hosts) do not resolve, as the
// browser tests abort them: this measures caremap, not the tile servers. Not part of `make test`.
//
//   make bench-page                      (builds the release binary, installs the test deps)
//   RUNS=5 node benches/slow_network.mjs (from the repository root, after that)

import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../', import.meta.url));
// playwright-core and the server harness live with the browser tests.
const require = createRequire(join(repoRoot, 'tests', 'browser', 'package.json'));
const { chromium } = require('playwright-core');
const { startServer, waitForMarkers } = await import(join(repoRoot, 'tests', 'browser', 'lib', 'harness.js'));

const RUNS = Number(process.env.RUNS ?? 3);
const BINARY = process.env.CAREMAP_BIN ?? join(repoRoot, 'target', 'release', 'caremap');
const SLOW_4G = {
  offline: false,
  latency: 150,
  downloadThroughput: 1_600_000 / 8,
  uploadThroughput: 750_000 / 8,
};
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

/** Opens the page (or reloads it) on the slow link and measures until the first markers. */
async function measure(context, page, baseUrl, reload) {
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', SLOW_4G);
  const requests = new Map();
  let bytes = 0;
  let notModified = 0;
  cdp.on('Network.requestWillBeSent', (e) => {
    if (e.request.url.startsWith(baseUrl)) requests.set(e.requestId, e.request.url);
  });
  cdp.on('Network.responseReceived', (e) => {
    if (requests.has(e.requestId) && e.response.status === 304) notModified += 1;
  });
  cdp.on('Network.loadingFinished', (e) => {
    if (requests.has(e.requestId)) bytes += e.encodedDataLength;
  });
  const started = performance.now();
  if (reload) await page.reload({ waitUntil: 'commit' });
  else await page.goto(`${baseUrl}/`, { waitUntil: 'commit' });
  await waitForMarkers(page);
  const markersMs = performance.now() - started;
  await page.waitForLoadState('networkidle');
  await cdp.detach();
  return { markersMs, requests: requests.size, bytes, notModified };
}

const server = await startServer({ binary: BINARY });
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  // Other hosts (map tiles) do not resolve. Not page.route(): routing turns the HTTP cache off,
  // and the return visit is about the cache.
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-quic',
    '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
  ],
});
const cold = [];
const warm = [];
try {
  for (let run = 0; run < RUNS; run += 1) {
    const context = await browser.newContext({ locale: 'ja-JP', timezoneId: 'Asia/Tokyo', ...PHONE });
    const page = await context.newPage();
    cold.push(await measure(context, page, server.baseUrl, false));
    warm.push(await measure(context, page, server.baseUrl, true));
    await context.close();
  }
} finally {
  await browser.close();
  await server.stop();
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const line = (name, runs) =>
  `${name.padEnd(22)} markers ${(median(runs.map((r) => r.markersMs)) / 1000).toFixed(2)} s (runs: ${runs
    .map((r) => (r.markersMs / 1000).toFixed(2))
    .join(', ')}), ${median(runs.map((r) => r.requests))} requests (${median(runs.map((r) => r.notModified))} × 304), ${(
    median(runs.map((r) => r.bytes)) / 1024
  ).toFixed(0)} KiB transferred`;
console.log(`slow 4G (150 ms, 1.6 Mb/s down), phone viewport, ${BINARY}`);
console.log(line('first visit (cold)', cold));
console.log(line('return visit (reload)', warm));
