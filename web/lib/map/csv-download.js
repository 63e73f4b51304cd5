// The results' CSV download: its file name, the link (a plain GET when one request answers
// it), and on click the merged file when several requests or a POST are needed.

import { japanDay, saveBlob } from '../shared/download.js';
import { MESSAGES, getText } from './api.js';
import { mergeCsv } from './csv.js';
import { setStatus, showError } from './messages.js';
import { originName, state, ui } from './page-state.js';
import { searchRequests } from './search-requests.js';

function csvFileName() {
  const s = state.search;
  const what =
    s.type === 'district'
      ? `${state.labels.districts.get(s.id) ?? s.id}圏域`
      : s.type === 'near'
        ? `${originName(s)}周辺`
        : s.type === 'polygon'
          ? '描いた範囲'
          : s.type === 'bbox'
            ? '地図の範囲'
            : '検索結果';
  // The day in Japan, as the server names its files.
  return `caremap_${what}_${japanDay()}.csv`.replace(/[\\/:*?"<>|\s]/g, '_');
}

/** A plain link when one GET answers the download; otherwise the click builds the file. */
export function updateCsvLink() {
  const requests = searchRequests('csv');
  ui.csv.download = csvFileName();
  ui.csv.href = requests[0].url;
  ui.csv.dataset.merge = requests.length > 1 || requests[0].body ? 'true' : 'false';
}

export async function onCsvClick(event) {
  if (ui.csv.dataset.merge !== 'true' || !state.search) return;
  event.preventDefault();
  try {
    setStatus('CSVを作成しています…', { busy: true });
    const requests = searchRequests('csv');
    const texts = await Promise.all(requests.map((r) => getText(r.url, r.body ?? null)));
    const order = state.search.type === 'near' ? state.results.map((f) => String(f.id)) : null;
    // Response.text() drops the BOM; mergeCsv writes one back (and joins several parts).
    const csv = mergeCsv(texts, order);
    saveBlob(new Blob([csv], { type: 'text/csv;charset=utf-8' }), csvFileName());
    setStatus('CSVをダウンロードしました。');
  } catch (error) {
    console.error(error);
    setStatus('');
    showError(error.userMessage ?? MESSAGES.network);
  }
}
