// The scope's recent registration failures, newest first, kept up to date by the watch.
import { getJson, scopePath } from './api.js';
import { esc, time } from './format.js';

const KEPT = 100;

export class Failures {
  constructor(element) {
    this.element = element;
    this.items = [];
  }

  async load(scope, signal) {
    let items = [];
    try {
      items = (await getJson(`${scopePath(scope)}/failures`, signal)).items.slice().reverse();
    } catch {
      // No failures shown is the best answer when they cannot be read.
    }
    if (signal.aborted) return; // another scope is shown by now
    this.items = items;
    this.render();
  }

  add(failure) {
    if (this.items.some((f) => f.position === failure.position)) return; // also in the list just read
    this.items.unshift(failure);
    this.items.length = Math.min(this.items.length, KEPT);
    this.render();
  }

  render() {
    if (this.items.length === 0) {
      this.element.innerHTML = '<p class="muted">No registration failure recorded in this scope.</p>';
      return;
    }
    const luid = (f) => (f.luid ? `${f.luid.ifType}/${f.luid.netLuidIndex}` : '');
    this.element.innerHTML = '<div class="table-wrap" tabindex="0" role="region" aria-label="Table of failures"><table><thead><tr>'
      + '<th scope="col">At</th><th scope="col">Status</th><th scope="col">Reason</th><th scope="col">Message</th><th scope="col">LUID (ifType/index)</th><th scope="col">Position</th>'
      + '</tr></thead><tbody>'
      + this.items.map((f) => `<tr><td>${time(f.at)}</td><td><strong class="status">${esc(f.status)}</strong></td><td>${esc(f.reason)}</td>`
        + `<td>${esc(f.messageType)}</td><td><code>${esc(luid(f))}</code></td><td class="num">${f.position}</td></tr>`).join('')
      + '</tbody></table></div>';
  }
}
