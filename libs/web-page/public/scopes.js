// The scopes: searched and paged by the service (a fleet may have 100,000), `local` first.
import { getJson } from './api.js';
import { count, esc, time } from './format.js';
import { stateHref } from './url-state.js';

const PAGE = 25;
const FIRST = 'local';

export class ScopeList {
  constructor(elements) {
    this.el = elements;
    /** `after` cursors of the pages before this one. */
    this.before = [];
    this.after = undefined;
    this.next = undefined;
    this.items = [];
  }

  /** Loads the page after `after` of the scopes matching `find`. */
  async load(find, after) {
    const query = new URLSearchParams({ limit: String(PAGE) });
    if (find) query.set('name', find);
    if (after !== undefined) query.set('after', after);
    const [page, pinned] = await Promise.all([
      getJson(`/v1/scopes?${query}`),
      // `local` (this host, in the all-in-one) heads the first page when it exists.
      find || after !== undefined ? undefined : getJson(`/v1/scopes?scope=${FIRST}`),
    ]);
    this.after = after;
    this.next = page.next;
    this.total = page.total;
    // Without a search `local` is only ever shown first, not again at its place in the order.
    this.items = [...(pinned?.items ?? []), ...page.items.filter((s) => find || s.scope !== FIRST)];
    return this.items;
  }

  async first(find) {
    this.before = [];
    return this.load(find, undefined);
  }

  async forward(find) {
    if (this.next === undefined) return this.items;
    this.before.push(this.after);
    return this.load(find, this.next);
  }

  async back(find) {
    if (this.before.length === 0) return this.items;
    return this.load(find, this.before.pop());
  }

  render(state) {
    const { list, total, prev, next } = this.el;
    list.innerHTML = this.items.length === 0
      ? `<li class="muted">${state.find ? 'No scope matches.' : 'No scopes yet.'}</li>`
      : this.items.map((s) => {
          const current = s.scope === state.scope ? ' aria-current="page"' : '';
          const href = stateHref({ scope: s.scope, find: state.find });
          return `<li><a href="${esc(href)}" data-nav${current}>${esc(s.scope)}</a>`
            + `<span class="facts">epoch ${s.epoch} · ${count(s.interfaceCount)} interface${s.interfaceCount === 1 ? '' : 's'}`
            + ` · last change ${s.lastChange}${s.lastChangeAt ? ` ${time(s.lastChangeAt)}` : ''}</span></li>`;
        }).join('');
    total.textContent = `${count(this.total ?? 0)} scope${this.total === 1 ? '' : 's'}${state.find ? ' match' : ''}`;
    prev.disabled = this.before.length === 0;
    next.disabled = this.next === undefined;
  }
}
