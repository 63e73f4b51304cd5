// Fills the page from the reference endpoints at start: the sample notice and dataset line
// with the data's last update (/api/about), the service chips, the single-service choices,
// labels and map legend (/api/services), and the district choices with their provider counts
// (/api/districts).

import { h } from '../shared/dom.js';
import { formatJapanDate } from './format.js';
import { state, ui } from './page-state.js';

export function applyAbout(about) {
  state.sample = about.sample === true;
  ui.sampleNotice.hidden = !state.sample;
  ui.printSample.hidden = !state.sample;
  const parts = [];
  if (Number.isFinite(about.providers)) parts.push(`掲載事業所 ${about.providers.toLocaleString('ja-JP')}件`);
  const updated = formatJapanDate(about.data_updated_at);
  if (updated) parts.push(`データ更新 ${updated}`);
  if (state.sample) parts.push('データ：サンプル（架空）');
  ui.datasetInfo.textContent = parts.join('　');
  if (Number.isInteger(about.stale_after_days)) {
    ui.staleHint.textContent = `確認から${about.stale_after_days}日を過ぎた受入状況は「古い情報」として薄く表示し、受入可のみの検索から外します。`;
    ui.staleHint.hidden = false;
  }
}

export function applyServices(services) {
  for (const s of services.services ?? []) state.labels.services.set(s.code, s.label);
  for (const k of services.kinds ?? []) state.labels.kinds.set(k.id, k.label);
  state.groups = services.groups ?? [];
  ui.chips.replaceChildren(
    ...state.groups.map((group) =>
      h(
        'button',
        {
          type: 'button',
          class: 'chip',
          'aria-pressed': 'false',
          'data-group': group.id,
          title: group.description || null,
        },
        h('span', { class: 'chip__check', 'aria-hidden': 'true' }),
        h('span', { class: 'chip__label' }, group.label),
        group.description ? h('span', { class: 'chip__description' }, group.description) : null,
      ),
    ),
  );
  // Each service on its own, under its group's name.
  const byCode = new Map((services.services ?? []).map((s) => [s.code, s]));
  for (const group of state.groups) {
    const codes = (group.services ?? []).filter((code) => byCode.has(code));
    if (codes.length === 0) continue;
    ui.service.appendChild(
      h('optgroup', { label: group.label }, codes.map((code) => h('option', { value: code }, byCode.get(code).label))),
    );
  }
  ui.legend.replaceChildren(
    ...(services.kinds ?? []).map((k) =>
      h('li', { class: `legend__item kind--${k.id}` }, h('span', { class: 'legend__swatch', 'aria-hidden': 'true' }), k.label),
    ),
  );
}

export function applyDistricts(collection) {
  state.districts = collection;
  for (const f of collection.features ?? []) {
    const name = f.properties?.name ?? String(f.id);
    state.labels.districts.set(String(f.id), name);
    const count = f.properties?.provider_count;
    const text = Number.isFinite(count) ? `${name}（${count}件）` : name;
    ui.district.appendChild(h('option', { value: f.id }, text));
  }
}
