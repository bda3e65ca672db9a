// The page: URL state → scopes, the live (or past) list of one scope, its detail and failures.
import { getJson, retrying, scopePath } from './api.js';
import { renderDetail } from './detail.js';
import { Failures } from './failures.js';
import { count, esc } from './format.js';
import { LiveScope } from './live.js';
import { InterfaceRows } from './rows.js';
import { ScopeList } from './scopes.js';
import { renderHead, renderRows, viewOf } from './table.js';
import { readState, stateHref, writeState } from './url-state.js';

const $ = (id) => document.getElementById(id);
const el = {
  connection: $('connection'), notes: $('notes'), detail: $('detail'), asOf: $('as-of'), title: $('list-title'), facts: $('scope-facts'),
  filter: $('filter'), filterForm: $('filter-form'), head: $('interface-head'), body: $('interface-rows'), range: $('rows-range'),
  rowsPrev: $('rows-prev'), rowsNext: $('rows-next'), scopeFind: $('scope-find'), scopeForm: $('scope-search'),
  picker: $('scope-picker'), scopeSummary: $('scope-summary'), scopesPrev: $('scopes-prev'), scopesNext: $('scopes-next'), scopesRefresh: $('scopes-refresh'),
};
const scopes = new ScopeList({ list: $('scope-list'), total: $('scopes-count'), prev: el.scopesPrev, next: el.scopesNext });
const failures = new Failures($('failure-list'));

let state = readState();
/** Where the list comes from: the live scope, or the scope as of a position. */
let source = { key: '', rows: new InterfaceRows(), live: undefined, stop: new AbortController(), position: 0 };
let detailKey = '';
let firstRowsMarked = false;

const status = (text) => {
  if (el.connection.textContent !== text) el.connection.textContent = text;
};

function note(text) {
  const p = document.createElement('p');
  p.textContent = text;
  el.notes.prepend(p);
  while (el.notes.childElementCount > 3) el.notes.lastElementChild.remove();
}

function openSource() {
  const key = state.scope ? `${state.scope}\u0000${state.asOf ?? 'live'}` : '';
  if (key === source.key) return;
  source.live?.close();
  source.stop.abort();
  source = { key, rows: new InterfaceRows(), live: undefined, stop: new AbortController(), position: 0 };
  el.notes.replaceChildren();
  if (!state.scope) return;
  const current = source;
  void failures.load(state.scope, current.stop.signal);
  if (state.asOf !== undefined) {
    status(`As of position ${state.asOf}: not live`);
    void loadAsOf(current, state.scope, state.asOf);
    return;
  }
  current.live = new LiveScope(state.scope, {
    changed: (rows) => {
      current.rows = rows;
      current.position = current.live.position;
      renderList();
    },
    status,
    note,
    failed: (failure) => failures.add(failure),
    loadedFirst: () => {
      if (firstRowsMarked) return;
      firstRowsMarked = true;
      performance.mark('ifreg:first-rows');
    },
  });
  current.live.start();
}

async function loadAsOf(current, scope, asOf) {
  try {
    const list = await getJson(`${scopePath(scope)}/interfaces?asOf=${encodeURIComponent(asOf)}`, current.stop.signal);
    const rows = new InterfaceRows();
    rows.addPage(list.items, list.epoch);
    rows.loaded();
    current.rows = rows;
    current.position = list.position;
    renderList();
  } catch (error) {
    if (!current.stop.signal.aborted) status(`Cannot show scope ${scope} as of position ${asOf}: ${error.message}`);
  }
}

function renderList() {
  const rows = source.rows;
  el.title.textContent = state.scope ? `Interfaces of ${state.scope}` : 'Interfaces';
  el.asOf.hidden = state.asOf === undefined;
  if (state.asOf !== undefined) {
    el.asOf.innerHTML = `The list as it was at position ${esc(state.asOf)}, not live. <a href="${esc(stateHref({ ...state, asOf: undefined }))}" data-nav>Back to the live list</a>`;
  }
  el.facts.dataset.position = String(source.position);
  el.facts.textContent = state.scope
    ? `Epoch ${rows.epoch ?? '–'} · ${count(rows.size)} interface${rows.size === 1 ? '' : 's'}${rows.loading && state.asOf === undefined ? ' so far' : ''} · position ${source.position}`
    : 'No scope chosen.';
  renderHead(el.head, state);
  const list = viewOf(rows, state.q, state.sort);
  const { page, pages } = renderRows(el.body, el.range, list, rows, state);
  el.rowsPrev.disabled = page <= 1;
  el.rowsNext.disabled = page >= pages;
  renderDetailIfChanged(false);
}

function itemByLuid(rows, name) {
  for (const item of rows.rows.values()) if (item.luid.name === name) return item;
  return undefined;
}

function renderDetailIfChanged(focus) {
  if (!state.luid || !state.scope) {
    el.detail.hidden = true;
    detailKey = '';
    return;
  }
  const item = itemByLuid(source.rows, state.luid);
  const loading = !item && source.rows.loading;
  const key = [state.scope, state.luid, state.asOf, item?.registeredPosition, loading].join('\u0000');
  if (key !== detailKey) {
    detailKey = key;
    void renderDetail(el.detail, state, item, source.stop.signal, { loading });
  }
  // Opened from a link: the focus moves to it (the link itself was drawn again, and is gone).
  if (focus) el.detail.querySelector('h2')?.focus();
}

async function showScopes(load) {
  await load;
  scopes.render(state);
}

/** Phones: the scope picker folds away, so that the list comes first. */
const narrow = matchMedia('(max-width: 59.99rem)');

function apply({ focusDetail = false } = {}) {
  el.filter.value = state.q ?? '';
  el.scopeFind.value = state.find ?? '';
  scopes.render(state);
  el.scopeSummary.textContent = state.scope ? `showing ${state.scope}` : '';
  openSource();
  renderList();
  renderDetailIfChanged(focusDetail);
}

function navigate(next, { replace = false, focusDetail = false } = {}) {
  state = next;
  writeState(state, { replace });
  apply({ focusDetail });
}

// Links of the page (data-nav) change the URL without a reload; they stay real links.
document.addEventListener('click', (event) => {
  const link = event.target.closest?.('a[data-nav]');
  if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  const next = readState(new URL(link.href).search);
  const opensDetail = next.luid !== undefined && next.luid !== state.luid;
  if (narrow.matches && next.scope !== state.scope) el.picker.open = false;
  if (next.find !== state.find) void showScopes(scopes.first(next.find));
  navigate(next, { focusDetail: opensDetail });
});
window.addEventListener('popstate', () => {
  const next = readState();
  if (next.find !== state.find) void showScopes(scopes.first(next.find));
  state = next;
  apply();
});

el.head.addEventListener('click', (event) => {
  const button = event.target.closest('button[data-sort]');
  if (!button) return;
  const column = button.dataset.sort.replace(/^-/, '');
  navigate({ ...state, sort: button.dataset.sort === 'ifIndex' ? undefined : button.dataset.sort, page: undefined });
  // The head was drawn again: keep the focus on the same column's button.
  el.head.querySelector(`button[data-sort="${column}"], button[data-sort="-${column}"]`)?.focus();
});
el.rowsPrev.addEventListener('click', () => navigate({ ...state, page: String(Math.max(1, (Number(state.page) || 1) - 1)) }));
el.rowsNext.addEventListener('click', () => navigate({ ...state, page: String((Number(state.page) || 1) + 1) }));

/** Typing edits the current history entry (replace), after a pause. */
function debounced(fn, ms) {
  let timer;
  return () => {
    clearTimeout(timer);
    timer = setTimeout(fn, ms);
  };
}
el.filterForm.addEventListener('submit', (event) => event.preventDefault());
el.filter.addEventListener('input', debounced(() => navigate({ ...state, q: el.filter.value.trim() || undefined, page: undefined }, { replace: true }), 150));
el.scopeForm.addEventListener('submit', (event) => event.preventDefault());
el.scopeFind.addEventListener('input', debounced(() => {
  state = { ...state, find: el.scopeFind.value.trim() || undefined };
  writeState(state, { replace: true });
  void showScopes(scopes.first(state.find));
}, 250));
el.scopesNext.addEventListener('click', () => void showScopes(scopes.forward(state.find)));
el.scopesPrev.addEventListener('click', () => void showScopes(scopes.back(state.find)));
el.scopesRefresh.addEventListener('click', () => void showScopes(scopes.load(state.find, scopes.after)));

async function start() {
  if (narrow.matches) el.picker.open = false;
  await retrying(() => scopes.first(state.find), { onWait: () => status('Cannot reach the service; trying again…') });
  // No scope in the URL: `local` (first when it exists) or the first scope.
  if (!state.scope && scopes.items[0]) navigate({ ...state, scope: scopes.items[0].scope }, { replace: true });
  else apply();
  if (!state.scope) status('No scopes yet');
}

void start();
