// One interface in detail: its NET_LUID forms, all of its NET_IF_INFORMATION, and its history
// in the scope, each event with a link to the list as it was at that position.
import { getJson, scopePath } from './api.js';
import { count, esc, ifTypeName, luidDecimal, time } from './format.js';
import { stateHref } from './url-state.js';
import { renderObjects } from './objects.js';

/** Nested values (physicalLocation) flattened to `physicalLocation.busNumber` rows. */
function infoRows(info, prefix = '') {
  return Object.entries(info).flatMap(([key, value]) =>
    value !== null && typeof value === 'object' && !Array.isArray(value)
      ? infoRows(value, `${prefix}${key}.`)
      : [`<tr><th scope="row"><code>${esc(prefix + key)}</code></th><td><code>${esc(Array.isArray(value) ? value.join(', ') : value)}</code></td></tr>`],
  );
}

function luidForms(luid, item) {
  const forms = [
    ['Name', luid.name],
    ['Value', luid.value],
    ['Value (decimal)', luidDecimal(luid.value)],
    ['IfType', `${luid.ifType} (${ifTypeName(luid.ifType)})`],
    ['NetLuidIndex', luid.netLuidIndex],
  ];
  if (item) forms.push(['ifIndex', item.ifIndex], ['Provider', item.providerId], ['ProviderIfContext', item.providerIfContext || '(empty)'], ['Epoch', item.epoch]);
  return `<dl class="forms">${forms.map(([k, v]) => `<dt>${esc(k)}</dt><dd><code>${esc(v)}</code></dd>`).join('')}`
    + (item ? `<dt>Registered at</dt><dd>${time(item.registeredAt)} (position ${item.registeredPosition})</dd>` : '')
    + '</dl>';
}

/** What an event did, in a few words. */
function summary(event) {
  switch (event.type) {
    case 'InterfaceRegistered': return `registered as ifIndex ${event.ifIndex}`;
    case 'InterfaceRedetected': return `detected again (ifIndex ${event.ifIndex})`;
    case 'InterfaceDeregistered': return `deregistered (was ifIndex ${event.ifIndex})`;
    case 'RegistrationFailed': return `failed: ${event.status}: ${event.reason}`;
    case 'NetLuidIndexAllocated': return `NetLuidIndex allocated to ${event.providerId}`;
    case 'NetLuidIndexFreed': return 'NetLuidIndex freed';
    case 'InterfaceObjectSetRequested': return `set of ${event.oid.name ?? event.oid.value} to ${JSON.stringify(event.value)} asked by ${event.caller} (request ${event.requestId})`;
    case 'InterfaceObjectSetAnswered': return `set of ${event.oid.name ?? event.oid.value} to ${JSON.stringify(event.value)}: ${event.status}${event.reason ? `: ${event.reason}` : ''} (request ${event.requestId})`;
    default: return event.type;
  }
}

function historyRows(items, state) {
  return items.map((h) => {
    const asOf = stateHref({ ...state, asOf: String(h.position), page: undefined });
    const here = state.asOf === String(h.position) ? ' aria-current="true" class="current"' : '';
    return `<tr${here}><td class="num">${h.position}</td><td>${time(h.event.at ?? h.recordedAt)}</td><td class="num">${esc(h.event.epoch)}</td>`
      + `<td>${esc(summary(h.event))}</td><td><a href="${esc(asOf)}" data-nav>List as of ${h.position}</a></td></tr>`;
  }).join('');
}

/** Bumped by each drawing of the detail: answers for an older one are dropped. */
let renders = 0;

/**
 * Shows the interface named `state.luid` of `state.scope`; `item` is its row in the list
 * shown (live or as of a position), undefined when it is not in it (or not yet: `loading`).
 */
export async function renderDetail(section, state, item, signal, { loading = false } = {}) {
  const render = ++renders;
  const close = stateHref({ ...state, luid: undefined });
  const title = item ? `${item.info.friendlyName} (${state.luid})` : state.luid;
  const where = state.asOf ? `at position ${state.asOf}` : 'now';
  section.hidden = false;
  section.innerHTML = `<div class="detail-head"><h2 id="detail-title" tabindex="-1">${esc(title)}</h2>`
    + `<a href="${esc(close)}" data-nav>Close the detail</a></div>`
    + (item ? '' : `<p class="muted">${loading ? 'Reading the list…' : `Not registered in scope ${esc(state.scope)} ${esc(where)}.`}</p>`)
    + '<div class="detail-grid"><section aria-labelledby="forms-title"><h3 id="forms-title">NET_LUID</h3><div id="luid-forms"></div></section>'
    + (item ? `<section aria-labelledby="info-title"><h3 id="info-title">NET_IF_INFORMATION</h3><div class="table-wrap" tabindex="0" role="region" aria-label="Table of NET_IF_INFORMATION"><table class="info"><tbody>${infoRows(item.info).join('')}</tbody></table></div></section>` : '')
    + '</div>'
    + (item && !state.asOf ? '<section id="objects" aria-labelledby="objects-title"></section>' : '')
    + '<section aria-labelledby="history-title"><h3 id="history-title">History in this scope</h3><p id="history-note" class="muted">Loading…</p>'
    + '<div class="table-wrap" tabindex="0" role="region" aria-label="Table of events"><table class="history"><thead><tr><th scope="col">Position</th><th scope="col">At</th><th scope="col">Epoch</th><th scope="col">Event</th><th scope="col">List</th></tr></thead>'
    + '<tbody id="history-rows"></tbody></table></div><button id="history-more" type="button" hidden>Load more</button></section>';
  if (item) section.querySelector('#luid-forms').innerHTML = luidForms(item.luid, item);
  const objects = section.querySelector('#objects');
  if (objects) renderObjects(objects, state, item, () => signal.aborted || render !== renders);
  await loadHistory(section, state, item, 0, () => signal.aborted || render !== renders);
}

/** `stale()`: the detail was drawn again (or closed) meanwhile, and this answer is for the old one. */
async function loadHistory(section, state, item, after, stale) {
  const path = `${scopePath(state.scope)}/luids/${encodeURIComponent(state.luid)}/history?limit=50&after=${after}`;
  let page;
  try {
    page = await getJson(path);
  } catch (error) {
    if (!stale()) section.querySelector('#history-note').textContent = `No history: ${error.message}`;
    return;
  }
  if (stale()) return;
  if (!item && after === 0) section.querySelector('#luid-forms').innerHTML = luidForms(page.luid, undefined);
  section.querySelector('#history-rows').insertAdjacentHTML('beforeend', historyRows(page.items, state));
  const shown = section.querySelectorAll('#history-rows tr').length;
  section.querySelector('#history-note').textContent = `${count(shown)} event${shown === 1 ? '' : 's'}`
    + (page.complete ? '.' : ' (older ones are no longer kept).');
  const more = section.querySelector('#history-more');
  more.hidden = page.next === undefined;
  more.onclick = () => void loadHistory(section, state, item, page.next, stale);
}
