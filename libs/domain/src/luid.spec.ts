import fc from 'fast-check';
import { checkLuid, luidFromValue, luidHex, luidName, luidValue, MAX_IF_TYPE, MAX_NET_LUID_INDEX, type NetLuid, parseLuid } from './luid';
import type { Checked } from './result';

const ETHERNET_32768: NetLuid = { ifType: 6, netLuidIndex: 32768 };
const ETHERNET_32768_VALUE = (6n << 48n) | (32768n << 24n);

/** The reason of a refusal, failing the test when the value was accepted. */
function reasonOf<T>(checked: Checked<T>): string {
  if (checked.ok) throw new Error(`expected a refusal, got ${JSON.stringify(checked.value)}`);
  return checked.reason;
}

const anyLuid = fc.record({
  ifType: fc.integer({ min: 0, max: MAX_IF_TYPE }),
  netLuidIndex: fc.integer({ min: 0, max: MAX_NET_LUID_INDEX }),
});

describe('the NET_LUID of ethernet interface 32768 (IfType 6, NetLuidIndex 32768)', () => {
  it('has the 64-bit value (6 << 48) | (32768 << 24)', () => {
    expect(luidValue(ETHERNET_32768)).toBe(ETHERNET_32768_VALUE);
    expect(luidValue(ETHERNET_32768)).toBe(1689399616077824n);
  });

  it('is written 0x0006008000000000 in hex, always 16 digits', () => {
    expect(luidHex(ETHERNET_32768)).toBe('0x0006008000000000');
  });

  it('is named ethernet_32768, the Windows ifName', () => {
    expect(luidName(ETHERNET_32768)).toBe('ethernet_32768');
  });

  it('is parsed back from its hex value, its decimal value and its name', () => {
    expect(parseLuid('0x0006008000000000')).toEqual({ ok: true, value: ETHERNET_32768 });
    expect(parseLuid('1689399616077824')).toEqual({ ok: true, value: ETHERNET_32768 });
    expect(parseLuid('ethernet_32768')).toEqual({ ok: true, value: ETHERNET_32768 });
  });

  it('is parsed from the generic iftype6_32768 name as well', () => {
    expect(parseLuid('iftype6_32768')).toEqual({ ok: true, value: ETHERNET_32768 });
  });

  it('is read back from its value by luidFromValue', () => {
    expect(luidFromValue(ETHERNET_32768_VALUE)).toEqual({ ok: true, value: ETHERNET_32768 });
  });
});

describe('interface names of well-known and unknown types', () => {
  it.each([
    [{ ifType: 24, netLuidIndex: 0 }, 'loopback_0', '0x0018000000000000'],
    [{ ifType: 71, netLuidIndex: 1 }, 'wireless_1', '0x0047000001000000'],
    [{ ifType: 131, netLuidIndex: 7 }, 'tunnel_7', '0x0083000007000000'],
    [{ ifType: 53, netLuidIndex: 2 }, 'iftype53_2', '0x0035000002000000'],
    [{ ifType: 0, netLuidIndex: 0 }, 'iftype0_0', '0x0000000000000000'],
    [{ ifType: MAX_IF_TYPE, netLuidIndex: MAX_NET_LUID_INDEX }, 'iftype65535_16777215', '0xffffffffff000000'],
  ])('names %j %s (value %s) and parses both forms back', (luid, name, hex) => {
    expect(luidName(luid)).toBe(name);
    expect(luidHex(luid)).toBe(hex);
    expect(parseLuid(name)).toEqual({ ok: true, value: luid });
    expect(parseLuid(hex)).toEqual({ ok: true, value: luid });
  });
});

describe('a hex NET_LUID value in upper case', () => {
  it('is parsed like its lower-case form', () => {
    expect(parseLuid('0xFFFFFFFFFF000000')).toEqual({ ok: true, value: { ifType: MAX_IF_TYPE, netLuidIndex: MAX_NET_LUID_INDEX } });
  });
});

describe('a NET_LUID value with reserved bits 0-23 set', () => {
  it.each(['0x0006008000000001', '0x0006008000800000', '0x0000000000ffffff'])('%s is refused, naming the reserved bits', (hex) => {
    expect(reasonOf(parseLuid(hex))).toMatch(/reserved bits/);
  });

  it('is refused whatever the type and index around them', () => {
    fc.assert(
      fc.property(anyLuid, fc.bigInt({ min: 1n, max: 0xffffffn }), (luid, reserved) => {
        expect(reasonOf(luidFromValue(luidValue(luid) | reserved))).toMatch(/reserved bits 0-23/);
      }),
    );
  });
});

describe('a NET_LUID outside 64 bits', () => {
  it('is refused as a negative value', () => {
    expect(reasonOf(luidFromValue(-1n))).toMatch(/64 bits/);
  });

  it('is refused as a value of 2^64', () => {
    expect(reasonOf(luidFromValue(1n << 64n))).toMatch(/64 bits/);
    expect(reasonOf(parseLuid((1n << 64n).toString()))).toMatch(/64 bits/);
  });

  it('is refused as a hex value of more than 16 digits', () => {
    expect(parseLuid('0x10006008000000000').ok).toBe(false);
  });
});

describe('a NetLuidIndex that does not fit in 24 bits', () => {
  it('is refused by checkLuid, naming luid.netLuidIndex', () => {
    expect(reasonOf(checkLuid(6, MAX_NET_LUID_INDEX + 1))).toMatch(/luid\.netLuidIndex.*24 bits/);
  });

  it('is refused in a name such as ethernet_16777216', () => {
    expect(reasonOf(parseLuid('ethernet_16777216'))).toMatch(/luid\.netLuidIndex/);
  });

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('is refused when it is %p', (index) => {
    expect(reasonOf(checkLuid(6, index))).toMatch(/luid\.netLuidIndex/);
  });

  it('is accepted at exactly 2^24 - 1', () => {
    expect(checkLuid(6, MAX_NET_LUID_INDEX)).toEqual({ ok: true, value: { ifType: 6, netLuidIndex: 0xffffff } });
  });
});

describe('an IfType that does not fit in 16 bits', () => {
  it('is refused by checkLuid, naming luid.ifType', () => {
    expect(reasonOf(checkLuid(MAX_IF_TYPE + 1, 0))).toMatch(/luid\.ifType/);
  });

  it('is refused in a name such as iftype65536_0', () => {
    expect(reasonOf(parseLuid('iftype65536_0'))).toMatch(/luid\.ifType/);
  });

  it.each([-1, 6.5, Number.NaN])('is refused when it is %p', (ifType) => {
    expect(reasonOf(checkLuid(ifType, 0))).toMatch(/luid\.ifType/);
  });
});

describe('text that is no NET_LUID', () => {
  it.each(['', 'ethernet', 'ethernet_', '_1', 'Ethernet_1', 'ethernet-1', '0x', '0xg', '6 1', ' 0x0006008000000000'])(
    '%p is refused with a reason',
    (text) => {
      expect(reasonOf(parseLuid(text))).not.toBe('');
    },
  );

  it('names the unknown type of a name such as bogus_1', () => {
    expect(reasonOf(parseLuid('bogus_1'))).toMatch(/unknown interface type name 'bogus'/);
  });
});

describe('any NET_LUID (IfType 0..65535, NetLuidIndex 0..2^24-1)', () => {
  it('is given back by parseLuid from its hex value', () => {
    fc.assert(fc.property(anyLuid, (luid) => expect(parseLuid(luidHex(luid))).toEqual({ ok: true, value: luid })));
  });

  it('is given back by parseLuid from its name', () => {
    fc.assert(fc.property(anyLuid, (luid) => expect(parseLuid(luidName(luid))).toEqual({ ok: true, value: luid })));
  });

  it('is given back by parseLuid from its decimal value', () => {
    fc.assert(fc.property(anyLuid, (luid) => expect(parseLuid(luidValue(luid).toString())).toEqual({ ok: true, value: luid })));
  });

  it('is given back by luidFromValue from its value, whose reserved bits are zero', () => {
    fc.assert(
      fc.property(anyLuid, (luid) => {
        const value = luidValue(luid);
        expect(value & 0xffffffn).toBe(0n);
        expect(luidFromValue(value)).toEqual({ ok: true, value: luid });
      }),
    );
  });

  it('has a hex form of 0x and 16 digits, and distinct LUIDs have distinct forms', () => {
    fc.assert(
      fc.property(anyLuid, anyLuid, (a, b) => {
        expect(luidHex(a)).toMatch(/^0x[0-9a-f]{16}$/);
        const same = a.ifType === b.ifType && a.netLuidIndex === b.netLuidIndex;
        expect(luidHex(a) === luidHex(b)).toBe(same);
        expect(luidName(a) === luidName(b)).toBe(same);
      }),
    );
  });
});
