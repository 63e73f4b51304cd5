// The page's pure modules (no DOM, no Leaflet), run under Node: formatting, query building,
// CSV merging, the URL state, list orders and geometry. The browser tests cover them again
// through the real page.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  PALETTE,
  classBounds,
  classOf,
  coverageUrl,
  formatPeople,
  formatShare,
  legendClasses,
  squareStyle,
} from '../../web/lib/map/coverage-classes.js';
import { mergeCsv, parseCsv, writeCsv } from '../../web/lib/map/csv.js';
import { badgesFor, formatDistance, formatJapanDate, formatWalking, telHref, walkingMinutes } from '../../web/lib/map/format.js';
import { geodesicDistanceM, inAnyFeature } from '../../web/lib/map/geo.js';
import { bboxContains, filterFamilies, mergeFeatures, urlWith } from '../../web/lib/map/query.js';
import { sortFeatures } from '../../web/lib/map/sort.js';
import { queryToState, stateToQuery } from '../../web/lib/map/url-state.js';
import { acceptingState, confirmedAt, confirmedText, vacancyDetails } from '../../web/lib/shared/vacancy.js';

describe('distance and walking time', () => {
  it('shows metres below 1 km rounded to 10 m, and km with one decimal above', () => {
    assert.equal(formatDistance(347), '350 m');
    assert.equal(formatDistance(3), '10 m');
    assert.equal(formatDistance(996), '1.0 km');
    assert.equal(formatDistance(1234), '1.2 km');
    assert.equal(formatDistance(12_345), '12 km');
  });

  it('counts walking minutes at 80 m a minute, rounded up', () => {
    assert.equal(walkingMinutes(80), 1);
    assert.equal(walkingMinutes(81), 2);
    assert.equal(walkingMinutes(0), 1);
    assert.equal(formatWalking(350), '徒歩5分');
  });

  it('gives walking time only for walking distances (up to 2 km)', () => {
    assert.equal(formatWalking(2000), '徒歩25分');
    assert.equal(formatWalking(2001), '');
    assert.equal(formatWalking(21_000), '', 'never 「徒歩257分」');
  });
});

describe('phone links', () => {
  it('dial the digits of a Japanese number, full-width or not', () => {
    assert.equal(telHref('04-0554-9430'), 'tel:0405549430');
    assert.equal(telHref('０４－７１５０－００００'), 'tel:0471500000');
    assert.equal(telHref(''), null);
    assert.equal(telHref(null), null);
  });
});

describe('badges', () => {
  it('mark acceptance, 24-hour care and 在宅療養支援 status', () => {
    const texts = badgesFor({
      kind: 'clinic',
      accepting: true,
      home_care: { class: 'enhanced_solo', available_24h: true },
    }).map((b) => b.text);
    assert.deepEqual(texts, ['受入可', '24時間対応', '在宅療養支援診療所']);
    assert.equal(badgesFor({ kind: 'hospital', accepting: false, home_care: { class: 'standard' } })[1].text, '在宅療養支援病院');
  });

  it('show the day acceptance was confirmed, with the year only when it is not this year', () => {
    const now = new Date(2026, 10, 30);
    assert.equal(badgesFor({ accepting: true, accepting_updated_at: '2026-11-28' }, now)[0].text, '受入可（11/28確認）');
    assert.equal(badgesFor({ accepting: false, accepting_updated_at: '2025-12-01' }, now)[0].text, '受入不可（2025/12/1確認）');
    assert.equal(badgesFor({}, now)[0].text, '受入状況不明');
  });

  it('say 要相談, and show a stale confirmation muted by its age (or 未確認)', () => {
    const now = new Date('2026-11-30T03:00:00Z');
    const consult = badgesFor({ accepting: 'consult', accepting_checked_at: '2026-11-28T05:05:00Z', accepting_stale: false }, now)[0];
    assert.deepEqual(consult, { text: '要相談（11/28確認）', tone: 'consult' });
    // 45 days before, counted in Japan's calendar (23:30 JST on 10/16 is still 10/16).
    const stale = badgesFor({ accepting: 'yes', accepting_checked_at: '2026-10-16T14:30:00Z', accepting_stale: true }, now)[0];
    assert.deepEqual(stale, { text: '受入可（確認から45日）', tone: 'stale' });
    assert.deepEqual(badgesFor({ accepting: 'no', accepting_stale: true }, now)[0], { text: '受入不可（未確認）', tone: 'stale' });
    // A confirmation late in the evening in Japan is that day, not the UTC one.
    assert.equal(badgesFor({ accepting: 'yes', accepting_checked_at: '2026-11-28T15:30:00Z', accepting_stale: false }, now)[0].text, '受入可（11/29確認）');
  });
});

describe('vacancy words', () => {
  it('give the last confirmation in Japan time, and the places and note as text', () => {
    const now = new Date('2026-11-30T03:00:00Z');
    assert.equal(confirmedText(confirmedAt({ accepting_checked_at: '2026-11-28T05:05:00Z' }), now), '11月28日 14:05');
    // 16:00 UTC on New Year's Eve is already 1 January (this year) in Japan.
    assert.equal(confirmedText(confirmedAt({ accepting_checked_at: '2025-12-31T16:00:00Z' }), now), '1月1日 01:00');
    assert.equal(confirmedText(confirmedAt({ accepting_updated_at: '2025-11-28' }), now), '2025年11月28日');
    assert.equal(confirmedAt({}), null);
    assert.deepEqual(vacancyDetails({ accepting_places: 0, accepting_note: ' 火・木の午後なら可 ' }), ['空き0人', '火・木の午後なら可']);
    assert.deepEqual(vacancyDetails({ accepting_places: null, accepting_note: '' }), []);
    assert.equal(acceptingState(true), 'yes');
    assert.equal(acceptingState('maybe'), null);
  });
});

describe('dates', () => {
  it('give the day in Japan of a UTC timestamp', () => {
    assert.equal(formatJapanDate('2026-11-30T16:00:00Z'), '2026年12月1日');
    assert.equal(formatJapanDate('not a date'), '');
    assert.equal(formatJapanDate(null), '');
  });
});

describe('filter families', () => {
  const visit = { id: 'visit', filter: { service: '110,130' } };
  const day = { id: 'day', filter: { service: '150,130' } };
  const homeMedical = { id: 'home_medical', filter: { home_care: 'true' } };

  it('unions the service lists of service-only chips into one request', () => {
    assert.deepEqual(filterFamilies([visit, day], { accepting: 'true' }), [
      { service: '110,130,150', accepting: 'true' },
    ]);
  });

  it('keeps a chip with another key as its own request, so chips mean "either"', () => {
    assert.deepEqual(filterFamilies([visit, homeMedical], { q: 'さくら', accepting: '' }), [
      { service: '110,130', q: 'さくら' },
      { home_care: 'true', q: 'さくら' },
    ]);
  });

  it('is one request with the common parameters when no chip is chosen', () => {
    assert.deepEqual(filterFamilies([], {}), [{}]);
  });

  it('builds URLs without empty parameters', () => {
    assert.equal(urlWith('/api/providers', { q: '', limit: 10, bbox: '1,2,3,4' }), '/api/providers?limit=10&bbox=1%2C2%2C3%2C4');
  });
});

describe('viewport bookkeeping', () => {
  it('knows when a view lies inside what was loaded', () => {
    assert.equal(bboxContains([0, 0, 10, 10], [1, 1, 9, 9]), true);
    assert.equal(bboxContains([0, 0, 10, 10], [1, 1, 11, 9]), false);
    assert.equal(bboxContains(null, [1, 1, 2, 2]), false);
  });

  it('merges result lists without duplicates, nearest first when asked', () => {
    const f = (id, d) => ({ id, properties: { distance_m: d } });
    const merged = mergeFeatures([[f('a', 5), f('b', 9)], [f('c', 1), f('a', 5)]], { byDistance: true, limit: 2 });
    assert.deepEqual(merged.map((x) => x.id), ['c', 'a']);
  });
});

describe('CSV merging', () => {
  it('parses quoted fields with commas, quotes and line breaks', () => {
    assert.deepEqual(parseCsv('\uFEFFa,"b,1","c""d"\r\n"e\r\nf",g,h\r\n'), [
      ['a', 'b,1', 'c"d'],
      ['e\r\nf', 'g', 'h'],
    ]);
  });

  it('joins parts under one BOM and header, each provider once, in the given order', () => {
    const header = 'ID,種別,事業所番号,名称';
    const a = `\uFEFF${header}\r\nx,介護事業所,1,"A, Inc."\r\ny,診療所,2,B\r\n`;
    const b = `\uFEFF${header}\r\nz,診療所,3,C\r\nx,介護事業所,1,"A, Inc."\r\n`;
    const merged = mergeCsv([a, b], ['z', 'x', 'y']);
    assert.ok(merged.startsWith(`\uFEFF${header}\r\n`));
    assert.deepEqual(parseCsv(merged).map((r) => r[0]), ['ID', 'z', 'x', 'y']);
    assert.equal(parseCsv(merged)[2][3], 'A, Inc.');
    assert.equal(writeCsv(parseCsv(merged)), merged);
  });
});

describe('the page state in the URL', () => {
  const limits = { defaultK: 20, maxK: 100 };
  const base = {
    search: null,
    groups: [],
    service: '',
    accepting: false,
    includeStale: false,
    available24h: false,
    homeCare: false,
    q: '',
    sort: 'kana',
    selected: null,
    view: null,
    coverage: null,
  };

  it('reads back every kind of search with its filters, order, selection and view', () => {
    const polygon = { type: 'Polygon', coordinates: [[[139.9, 35.85], [139.93, 35.85], [139.93, 35.88], [139.9, 35.85]]] };
    for (const search of [
      { type: 'near', lon: 139.9, lat: 35.87, origin: '現在地', k: 40 },
      { type: 'near', lon: 139.906, lat: 35.839893, origin: '住所', k: 20, address: '千葉県流山市南流山2丁目' },
      { type: 'district', id: 'south' },
      { type: 'polygon', polygon },
      { type: 'bbox', bbox: [139.89, 35.84, 139.92, 35.87] },
    ]) {
      const state = {
        ...base,
        search,
        groups: ['home_medical'],
        service: '130',
        accepting: true,
        includeStale: true,
        available24h: true,
        homeCare: true,
        q: '南流山 1',
        sort: 'confirmed',
        selected: 'care-1291000003',
        view: { lon: 139.91234, lat: 35.86789, zoom: 14.5 },
      };
      assert.deepEqual(queryToState(stateToQuery(state, limits), limits), state);
    }
  });

  it('uses the API names where they mean the same thing, and stays empty for the bare page', () => {
    const query = stateToQuery({ ...base, search: { type: 'district', id: 'south' }, service: '130', available24h: true }, limits);
    assert.equal(query, 'district=south&service=130&available_24h=true');
    assert.equal(stateToQuery(base, limits), '');
  });

  it('keeps the address of an address search, and only there', () => {
    const search = { type: 'near', lon: 139.906, lat: 35.839893, origin: '住所', k: 20, address: '南流山2丁目&x=<b>' };
    const query = stateToQuery({ ...base, search }, limits);
    assert.equal(new URLSearchParams(query).get('address'), search.address);
    assert.equal(new URLSearchParams(query).get('origin'), 'address');
    assert.deepEqual(queryToState(query, limits).search, search);
    // An address beside another origin is not an address search.
    assert.equal(queryToState('near=139.9,35.87&origin=place&address=X', limits).search.address, undefined);
  });

  it('makes a text search of a lone q and drops values that do not parse', () => {
    assert.deepEqual(queryToState('q=さくら', limits).search, { type: 'text' });
    const junk = queryToState('near=999,1&k=5000&sort=random&view=a,b,c&service=1;2&area=1,2,3', limits);
    assert.deepEqual(junk, base);
  });
});

describe('the 地域の状況 view in the URL', () => {
  const limits = { defaultK: 20, maxK: 100 };

  it('writes view=coverage with its preset, mesh, population and colour, and reads them back', () => {
    const coverage = { preset: 'nursing-accepting-2km', mesh: '250m', population: 'T001141022', color: 'beyond' };
    const query = stateToQuery({ search: { type: 'district', id: 'south' }, groups: [], coverage }, limits);
    assert.equal(query, 'view=coverage&preset=nursing-accepting-2km&mesh=250m&population=T001141022&color=beyond');
    assert.deepEqual(queryToState(query, limits).coverage, coverage);
  });

  it('falls back to 500 m and distance colours for values it does not know', () => {
    assert.deepEqual(queryToState('view=coverage&mesh=2km&color=red', limits).coverage, {
      preset: '',
      mesh: '500m',
      population: '',
      color: 'distance',
    });
    assert.equal(queryToState('view=139.9,35.8,14', limits).coverage, null);
  });
});

describe('the 地域の状況 choropleth classes', () => {
  it('bounds distances at a quarter, half, one and two thresholds, labelled in metres', () => {
    const bounds = classBounds('distance', [], 2000);
    assert.deepEqual(bounds, [500, 1000, 2000, 4000]);
    assert.deepEqual(
      legendClasses('distance', bounds).map((c) => c.label),
      ['〜500 m', '〜1,000 m', '〜2,000 m', '〜4,000 m', '4,000 m超'],
    );
    assert.equal(classOf(500, bounds), 0);
    assert.equal(classOf(501, bounds), 1);
    assert.equal(classOf(9000, bounds), 4);
  });

  it('uses every palette colour from light (near) to dark (far)', () => {
    const colours = legendClasses('distance', [1, 2, 3, 4]).map((c) => c.color);
    assert.deepEqual(colours, PALETTE);
  });

  it('bounds people beyond reach at rounded quintiles, ascending and below the largest value', () => {
    const values = [3, 40, 80, 120, 150, 210, 260, 330, 480, 900];
    const bounds = classBounds('beyond', values, 2000);
    assert.ok(bounds.length >= 2 && bounds.length <= 4);
    assert.deepEqual([...bounds].sort((a, b) => a - b), bounds);
    assert.ok(bounds.every((b) => [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8].includes(b / 10 ** Math.floor(Math.log10(b)))));
    assert.ok(bounds[bounds.length - 1] < 900);
    assert.deepEqual(classBounds('beyond', [0, 0], 2000), []);
  });

  it('draws squares with no provider anywhere, and squares within reach, apart from the classes', () => {
    const bounds = [500, 1000, 2000, 4000];
    assert.equal(squareStyle({ nearest_m: null, count_within: 0, population: 10 }, 'distance', bounds).kind, 'none');
    assert.equal(squareStyle({ nearest_m: 300, count_within: 2, population: 10 }, 'beyond', [100]).kind, 'within');
    assert.equal(squareStyle({ nearest_m: 3000, count_within: 0, population: 10 }, 'beyond', [100]).fill, PALETTE[0]);
  });

  it('builds the API and CSV URLs from the view', () => {
    const view = { preset: 'home-care-24h-2km', mesh: '1km', population: 'T001141019', color: 'beyond' };
    assert.equal(coverageUrl('/api/coverage', view), '/api/coverage?preset=home-care-24h-2km&mesh=1km&population=T001141019');
    assert.equal(
      coverageUrl('/api/coverage', view, { csv: true }),
      '/api/coverage?preset=home-care-24h-2km&mesh=1km&population=T001141019&f=csv',
    );
    assert.equal(formatShare(0.0373), '3.7%');
    assert.equal(formatPeople(71940), '71,940人');
  });
});

describe('list orders', () => {
  const f = (id, name, kana, confirmed, lon) => ({
    id,
    geometry: { type: 'Point', coordinates: [lon, 35.86] },
    properties: { name, name_kana: kana, accepting_updated_at: confirmed },
  });
  const list = [
    f('a', '流山さくら', 'ナガレヤマサクラ', '2026-10-01', 139.95),
    f('b', 'あおば', 'アオバ', null, 139.91),
    f('c', '東部ケア', 'トウブケア', '2026-11-28', 139.90),
  ];

  it('default to 五十音 order by kana, whatever the script of the name', () => {
    assert.deepEqual(sortFeatures(list, 'kana').map((x) => x.id), ['b', 'c', 'a']);
  });

  it('can put the nearest to a point or the most recently confirmed first', () => {
    assert.deepEqual(sortFeatures(list, 'distance', { center: [139.9, 35.86] }).map((x) => x.id), ['c', 'b', 'a']);
    assert.deepEqual(sortFeatures(list, 'confirmed').map((x) => x.id), ['c', 'a', 'b']);
    assert.deepEqual(list.map((x) => x.id), ['a', 'b', 'c'], 'the input is left as it was');
  });
});

describe('geometry', () => {
  it('measures geodesic distance on the WGS84 ellipsoid', () => {
    // PROJ's `geod +ellps=WGS84 -I` (Karney's algorithm) for these pairs, to the millimetre.
    assert.ok(Math.abs(geodesicDistanceM([139.902861, 35.856306], [139.9, 35.87]) - 1541.254) < 0.001);
    assert.ok(Math.abs(geodesicDistanceM([139.87, 35.86], [139.96, 35.9]) - 9259.94) < 0.001);
    assert.ok(Math.abs(geodesicDistanceM([0, 0], [1, 0]) - 111319.491) < 0.001);
    assert.equal(geodesicDistanceM([139.9, 35.87], [139.9, 35.87]), 0);
  });

  it('tells whether a point is inside a district outline, holes excluded', () => {
    const districts = {
      features: [
        {
          geometry: {
            type: 'MultiPolygon',
            coordinates: [[[[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]], [[4, 4], [6, 4], [6, 6], [4, 6], [4, 4]]]],
          },
        },
      ],
    };
    assert.equal(inAnyFeature([1, 1], districts), true);
    assert.equal(inAnyFeature([5, 5], districts), false, 'in the hole');
    assert.equal(inAnyFeature([20, 5], districts), false);
  });
});
