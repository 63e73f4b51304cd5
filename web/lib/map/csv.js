// CSV merging for downloads that need more than one API request (several chip families, see
// query.js). The server writes each part (UTF-8 with BOM, Japanese header, CRLF); this joins
// them under one header and one BOM without changing any cell. No DOM.

const BOM = '\uFEFF';

/**
 * Parses RFC 4180 CSV (quoted fields may hold commas, quotes and line breaks).
 * A leading BOM is ignored.
 * @param {string} text
 * @returns {string[][]}
 */
export function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  let i = text.startsWith(BOM) ? 1 : 0;
  for (; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 1;
        } else {
          quoted = false;
        }
      } else {
        field += c;
      }
    } else if (c === '"') {
      quoted = true;
    } else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' || c === '\n') {
      if (c === '\r' && text[i + 1] === '\n') i += 1;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else {
      field += c;
    }
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

function quote(field) {
  return /[",\r\n]/.test(field) ? `"${field.replaceAll('"', '""')}"` : field;
}

/**
 * Writes rows as CSV with CRLF line ends and a UTF-8 BOM (so Excel reads Japanese text).
 * @param {string[][]} rows
 * @returns {string}
 */
export function writeCsv(rows) {
  return BOM + rows.map((r) => r.map(quote).join(',')).join('\r\n') + '\r\n';
}

/**
 * Joins several CSV documents that share a header row. Rows are keyed by their first column
 * (the provider ID) and appear once. With `order` (provider ids), rows are emitted in that
 * order and rows not in it are left out; otherwise in the order met.
 * @param {string[]} texts
 * @param {string[]|null} order
 * @returns {string}
 */
export function mergeCsv(texts, order = null) {
  let header = null;
  const byId = new Map();
  for (const text of texts) {
    const [head, ...rows] = parseCsv(text);
    if (!head) continue;
    header ??= head;
    for (const row of rows) {
      if (row.length === 1 && row[0] === '') continue;
      if (!byId.has(row[0])) byId.set(row[0], row);
    }
  }
  if (!header) return writeCsv([]);
  const rows = order ? order.filter((id) => byId.has(id)).map((id) => byId.get(id)) : [...byId.values()];
  return writeCsv([header, ...rows]);
}
