// Small helpers for building the page's HTML: every value from the API goes through esc().

const ENTITIES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export const esc = (value) => String(value ?? '').replace(/[&<>"']/g, (c) => ENTITIES[c]);

const numbers = new Intl.NumberFormat('en');
export const count = (n) => numbers.format(n);

/** `<time>` with the ISO value kept for machines and a short UTC form for people. */
export function time(iso) {
  if (!iso) return '';
  const text = iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC');
  return `<time datetime="${esc(iso)}">${esc(text)}</time>`;
}

/** IANA ifType names for the common ones (ifType column, LUID forms). */
const IF_TYPES = new Map([
  [1, 'other'], [6, 'ethernetCsmacd'], [23, 'ppp'], [24, 'softwareLoopback'], [37, 'atm'],
  [71, 'ieee80211'], [131, 'tunnel'], [144, 'ieee1394'], [243, 'wwanPP'], [244, 'wwanPP2'],
]);
export const ifTypeName = (ifType) => IF_TYPES.get(ifType) ?? `ifType ${ifType}`;

/** The NET_LUID as a 64-bit decimal, from its `0x…` value. */
export const luidDecimal = (hex) => BigInt(hex).toString();
