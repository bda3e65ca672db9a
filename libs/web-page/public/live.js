// One scope followed live: the list read in pages, the watch (server-sent events) from the
// position of the first page, and a relist whenever the watch cannot resume.
import { getJson, retrying, scopePath } from './api.js';
import { InterfaceRows } from './rows.js';

/** Small, so that the first screenful shows at once; then big pages for the rest. */
const FIRST_PAGE = 200;
const PAGE = 5000;

export class LiveScope {
  /**
   * @param {string} scope
   * @param {{ changed(rows, why): void, status(text): void, note(text): void, failed(failure): void, loadedFirst(): void }} view
   */
  constructor(scope, view) {
    this.scope = scope;
    this.view = view;
    this.rows = new InterfaceRows();
    this.position = 0;
    this.stop = new AbortController();
    this.source = undefined;
    this.timer = undefined;
  }

  start() {
    void this.load(false);
  }

  close() {
    this.stop.abort();
    this.source?.close();
    clearTimeout(this.timer);
  }

  async load(relisting) {
    const signal = this.stop.signal;
    const path = `${scopePath(this.scope)}/interfaces`;
    const onWait = () => this.view.status('Cannot reach the service; trying again…');
    try {
      const first = await retrying(() => getJson(`${path}?limit=${FIRST_PAGE}`, signal), { signal, onWait });
      if (signal.aborted) return;
      const rows = new InterfaceRows();
      rows.addPage(first.items, first.epoch);
      if (first.next === undefined) rows.loaded();
      this.rows = rows;
      this.position = first.position;
      if (relisting) this.view.note(`Relisted: the watch could not resume, so the list was read again at position ${first.position}.`);
      this.view.changed(rows, 'loaded');
      this.view.loadedFirst();
      this.watch(first.position);
      let next = first.next;
      while (next !== undefined) {
        this.view.status(`Loading… ${rows.size} interfaces so far`);
        const page = await retrying(() => getJson(`${path}?after=${next}&limit=${PAGE}`, signal), { signal, onWait });
        if (signal.aborted || rows !== this.rows) return; // closed, or relisted meanwhile
        rows.addPage(page.items, page.epoch);
        next = page.next;
        if (next === undefined) rows.loaded();
        this.schedule();
      }
      this.view.status(this.source?.readyState === EventSource.OPEN ? 'Live' : 'Connecting…');
    } catch (error) {
      if (signal.aborted) return;
      this.view.status(`Cannot show scope ${this.scope}: ${error.message}`);
    }
  }

  watch(from) {
    this.source?.close();
    // The browser reconnects by itself after a dropped stream, sending Last-Event-ID (the
    // last position seen): the service resumes after it, across its own restart too.
    const source = new EventSource(`/v1/watch?scope=${encodeURIComponent(this.scope)}&from=${from}`);
    this.source = source;
    const onChange = (event) => this.onChange(JSON.parse(event.data));
    for (const kind of ['registered', 'deregistered', 'failed', 'reset']) source.addEventListener(kind, onChange);
    source.onopen = () => this.view.status(this.rows.loading ? `Loading… ${this.rows.size} interfaces so far` : 'Live');
    source.onerror = () => {
      if (this.stop.signal.aborted || source !== this.source) return;
      if (source.readyState === EventSource.CONNECTING) {
        this.view.status('Connection lost; reconnecting…');
        return;
      }
      // Closed for good: the service refused to resume (410: the position is older than the
      // changes it keeps, e.g. after a restart) or answered with an error. Read the list again.
      source.close();
      this.source = undefined;
      this.view.status('Relisting…');
      void this.load(true);
    };
  }

  onChange(change) {
    if (change.position <= this.position) return; // already seen (a resumed stream starts after it)
    this.position = Math.max(this.position, change.position);
    this.rows.apply(change);
    if (change.kind === 'failed') this.view.failed(change.data);
    if (change.kind === 'reset') {
      this.view.note(`Boot epoch ${change.data.epoch} started at position ${change.position}: the list was emptied.`);
      this.view.changed(this.rows, 'reset');
      return;
    }
    this.schedule();
  }

  /** Redraws at most every few hundred ms, however many changes arrive in between. */
  schedule() {
    if (this.timer !== undefined) return;
    const delay = this.rows.size > 5000 ? 250 : 50;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.view.changed(this.rows, 'changed');
    }, delay);
  }
}
