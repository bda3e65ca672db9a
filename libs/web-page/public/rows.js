// One scope's interface list, merged from pages of the list and the watch's changes.
//
// The pages are read one after another while the watch already runs, so a page may be older
// or newer than changes already applied. Every row carries the position of its registration
// (registeredPosition), which orders the two: a page's row never replaces a newer one, and
// while pages load, removals and resets leave marks that keep older rows out.

export class InterfaceRows {
  constructor() {
    /** ifIndex → interface, as the API shows it. */
    this.rows = new Map();
    this.loading = true;
    /** ifIndex → position of its removal, while pages load. */
    this.removed = new Map();
    /** Position of the last reset (BootEpoch): rows registered before it are void. */
    this.resetAt = 0;
    this.epoch = undefined;
    /** Bumped on every change, so views know when to compute again. */
    this.version = 0;
  }

  get size() {
    return this.rows.size;
  }

  /** Rows of a page of the list; `epoch` is the page's. */
  addPage(items, epoch) {
    if (this.epoch === undefined || epoch > this.epoch) this.epoch = epoch;
    for (const item of items) {
      if (item.registeredPosition <= this.resetAt) continue;
      const removedAt = this.removed.get(item.ifIndex);
      if (removedAt !== undefined && item.registeredPosition < removedAt) continue;
      const known = this.rows.get(item.ifIndex);
      if (known && known.registeredPosition >= item.registeredPosition) continue;
      this.rows.set(item.ifIndex, item);
    }
    this.version++;
  }

  /** Every page is in: from now on only the watch changes the rows. */
  loaded() {
    this.loading = false;
    this.removed.clear();
    this.version++;
  }

  /** One change of the watch (registered, deregistered, reset; failed changes no row). */
  apply(change) {
    const { kind, data, position } = change;
    if (kind === 'registered') {
      const known = this.rows.get(data.ifIndex);
      if (known && known.registeredPosition >= position) return;
      this.rows.set(data.ifIndex, data);
    } else if (kind === 'deregistered') {
      const known = this.rows.get(data.ifIndex);
      if (known && known.registeredPosition < position) this.rows.delete(data.ifIndex);
      if (this.loading) this.removed.set(data.ifIndex, position);
    } else if (kind === 'reset') {
      this.rows.clear();
      this.removed.clear();
      this.resetAt = position;
      this.epoch = data.epoch;
    } else {
      return;
    }
    this.version++;
  }
}
