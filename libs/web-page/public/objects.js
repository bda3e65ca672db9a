// Live interface objects of one interface, asked of its provider through the registry
// (GET …/objects/{oid}): status and counters. Asked when the user wants them, then every
// 5 s while the detail stays open; nothing of it is recorded.
import { ApiError, getJson, scopePath } from './api.js';
import { count, esc, time } from './format.js';

const OIDS = ['OID_GEN_INTERFACE_INFO', 'OID_GEN_ADMIN_STATUS', 'OID_GEN_ALIAS'];
const REFRESH_MS = 5000;

const bits = (n) => (n === null || n === undefined ? 'unknown' : n >= 1e9 ? `${n / 1e9} Gbit/s` : n >= 1e6 ? `${n / 1e6} Mbit/s` : `${n} bit/s`);

function rows(answers) {
  const [info, admin, alias] = answers;
  const out = [];
  const row = (name, value) => out.push(`<tr><th scope="row">${esc(name)}</th><td>${value}</td></tr>`);
  if (admin.status === 'SUCCESS') row('Admin status', `<code>${esc(admin.value)}</code>`);
  if (alias.status === 'SUCCESS') row('Alias', alias.value ? `<code>${esc(alias.value)}</code>` : '<span class="muted">(none)</span>');
  if (info.status === 'SUCCESS') {
    const v = info.value ?? {};
    row('Operational status', `<code>${esc(v.operStatus)}</code>`);
    row('Media', `<code>${esc(v.mediaConnectState)}</code>, ${esc(v.mediaDuplexState)} duplex, ${esc(bits(v.xmitLinkSpeed))}`);
    row('Last change seen', v.lastChange ? time(v.lastChange) : '<span class="muted">none since its agent started</span>');
    row('Received', `${count(v.inOctets ?? 0)} bytes, ${count(v.inPackets ?? 0)} packets, ${count(v.inErrors ?? 0)} errors, ${count(v.inDiscards ?? 0)} dropped`);
    row('Sent', `${count(v.outOctets ?? 0)} bytes, ${count(v.outPackets ?? 0)} packets, ${count(v.outErrors ?? 0)} errors, ${count(v.outDiscards ?? 0)} dropped`);
  }
  for (const answer of answers) if (answer.status !== 'SUCCESS') row(answer.oid.name ?? answer.oid.hex, `<code>${esc(answer.status)}</code> ${esc(answer.reason ?? '')}`);
  return out.join('');
}

/** The "Live from its provider" section of the detail of `item` (a live row, not as of a position). */
export function renderObjects(section, state, item, stale) {
  section.innerHTML = '<h3 id="objects-title">Live from its provider</h3>'
    + `<p id="objects-note" class="muted">Status and counters are asked of ${esc(item.providerId)} through the registry, not stored.</p>`
    + '<button id="objects-ask" type="button">Ask its provider</button>'
    + '<div class="table-wrap" tabindex="0" role="region" aria-label="Table of live objects"><table class="info"><tbody id="objects-rows"></tbody></table></div>';
  const note = section.querySelector('#objects-note');
  const button = section.querySelector('#objects-ask');
  const base = `${scopePath(state.scope)}/interfaces/${item.ifIndex}/objects`;
  let timer;
  const ask = async () => {
    clearTimeout(timer);
    if (stale()) return;
    button.disabled = true;
    let answers;
    try {
      answers = await Promise.all(OIDS.map((oid) => getJson(`${base}/${oid}?timeoutMs=3000`)));
    } catch (error) {
      if (stale()) return;
      note.textContent = error instanceof ApiError ? `Its provider did not answer: ${error.message}` : `The registry is unreachable: ${error.message}`;
      button.disabled = false;
      return;
    }
    if (stale()) return;
    section.querySelector('#objects-rows').innerHTML = rows(answers);
    note.innerHTML = `As its provider answered at ${time(new Date().toISOString())}; asked again every ${REFRESH_MS / 1000} s while this is open.`;
    timer = setTimeout(() => void ask(), REFRESH_MS);
  };
  button.onclick = () => void ask();
}
