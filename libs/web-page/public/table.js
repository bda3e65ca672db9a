// The interface table: filter, sort and one page of rows at a time, so that 65,535 rows
// cost one sort per change burst and a hundred table rows per redraw.
import { count, esc, ifTypeName, time } from './format.js';
import { stateHref } from './url-state.js';

export const PAGE_ROWS = 100;

const COLUMNS = [
  { key: 'ifIndex', label: 'ifIndex', value: (i) => i.ifIndex, numeric: true },
  { key: 'name', label: 'Friendly name', value: (i) => i.info.friendlyName },
  { key: 'luidName', label: 'LUID name', value: (i) => i.luid.name },
  { key: 'luidValue', label: 'LUID value', value: (i) => i.luid.value },
  { key: 'ifType', label: 'ifType', value: (i) => i.luid.ifType, numeric: true },
  { key: 'physAddress', label: 'Physical address', value: (i) => i.info.physAddress ?? '' },
  { key: 'provider', label: 'Provider', value: (i) => i.providerId },
  { key: 'registeredAt', label: 'Registered at', value: (i) => i.registeredAt },
];
const BY_KEY = new Map(COLUMNS.map((c) => [c.key, c]));

/** `sort` as in the URL: a column key, with a leading '-' for descending. */
export function parseSort(sort) {
  const descending = sort?.startsWith('-') ?? false;
  const column = BY_KEY.get(descending ? sort.slice(1) : sort) ?? BY_KEY.get('ifIndex');
  return { column, descending };
}

// Lower-case text searched by the filter, once per row object (a changed row is a new object).
const searchText = new WeakMap();
function textOf(item) {
  let text = searchText.get(item);
  if (text === undefined) {
    text = [item.ifIndex, item.info.friendlyName, item.luid.name, item.luid.value, item.info.physAddress, item.providerId, ifTypeName(item.luid.ifType)]
      .join('\u0000')
      .toLowerCase();
    searchText.set(item, text);
  }
  return text;
}

let cache = { key: '', rows: undefined, list: [] };

/** The filtered, sorted rows; computed again only when rows, filter or sort changed. */
export function viewOf(rows, q, sort) {
  const key = `${rows.version}\u0000${q ?? ''}\u0000${sort ?? ''}`;
  if (cache.rows === rows && cache.key === key) return cache.list;
  const needle = (q ?? '').trim().toLowerCase();
  const { column, descending } = parseSort(sort);
  const list = [];
  for (const item of rows.rows.values()) if (needle === '' || textOf(item).includes(needle)) list.push(item);
  const sign = descending ? -1 : 1;
  const byIndex = (a, b) => a.ifIndex - b.ifIndex;
  list.sort(column.numeric
    ? (a, b) => sign * (column.value(a) - column.value(b)) || byIndex(a, b)
    : (a, b) => {
        const x = column.value(a);
        const y = column.value(b);
        return sign * (x < y ? -1 : x > y ? 1 : 0) || byIndex(a, b);
      });
  cache = { key, rows, list };
  return list;
}

export function renderHead(head, state) {
  const { column, descending } = parseSort(state.sort);
  head.innerHTML = COLUMNS.map((c) => {
    const active = c === column;
    const next = active && !descending ? `-${c.key}` : c.key;
    const sortAttr = active ? ` aria-sort="${descending ? 'descending' : 'ascending'}"` : '';
    const mark = active ? (descending ? ' ▼' : ' ▲') : '';
    return `<th scope="col"${sortAttr}><button type="button" data-sort="${esc(next)}">${esc(c.label)}<span aria-hidden="true">${mark}</span></button></th>`;
  }).join('');
}

/** Draws one page of `list`; answers the page actually shown (the last one when beyond it). */
export function renderRows(body, range, list, rows, state) {
  const pages = Math.max(1, Math.ceil(list.length / PAGE_ROWS));
  const page = Math.min(Math.max(1, Number(state.page) || 1), pages);
  const start = (page - 1) * PAGE_ROWS;
  const shown = list.slice(start, start + PAGE_ROWS);
  body.innerHTML = shown.length === 0
    ? `<tr><td colspan="${COLUMNS.length}" class="empty">${rows.size === 0 ? 'No interfaces in this scope.' : 'No interface matches the filter.'}</td></tr>`
    : shown.map((item) => rowHtml(item, state)).join('');
  range.dataset.count = String(rows.size);
  range.dataset.shown = String(list.length);
  range.textContent = list.length === 0
    ? 'No interfaces'
    : `${count(start + 1)}–${count(start + shown.length)} of ${count(list.length)}${list.length === rows.size ? '' : ` (filtered from ${count(rows.size)})`}`;
  return { page, pages };
}

function rowHtml(item, state) {
  const href = stateHref({ ...state, luid: item.luid.name });
  const current = state.luid === item.luid.name ? ' aria-current="true" class="current"' : '';
  return `<tr data-if-index="${item.ifIndex}"${current}>`
    + `<td class="num">${item.ifIndex}</td>`
    + `<th scope="row"><a href="${esc(href)}" data-nav>${esc(item.info.friendlyName)}</a></th>`
    + `<td><code>${esc(item.luid.name)}</code></td>`
    + `<td><code>${esc(item.luid.value)}</code></td>`
    + `<td class="num" title="${esc(ifTypeName(item.luid.ifType))}">${item.luid.ifType}</td>`
    + `<td><code>${esc(item.info.physAddress ?? '')}</code></td>`
    + `<td>${esc(item.providerId)}</td>`
    + `<td>${time(item.registeredAt)}</td></tr>`;
}
