import { checkSetValue, OIDS, objectSetMessageIds, oidHex, parseOid } from './objects';

describe('parseOid', () => {
  it('reads an NDIS name, a hex value and a decimal value as the same OID', () => {
    expect(parseOid('OID_GEN_ALIAS')).toEqual({ ok: true, value: { value: 0x00010289, name: 'OID_GEN_ALIAS' } });
    expect(parseOid('0x00010289')).toEqual({ ok: true, value: { value: 0x00010289, name: 'OID_GEN_ALIAS' } });
    expect(parseOid(String(0x00010289))).toEqual({ ok: true, value: { value: 0x00010289, name: 'OID_GEN_ALIAS' } });
  });

  it('takes an OID it does not know by number, without a name', () => {
    expect(parseOid('0x0D010101')).toEqual({ ok: true, value: { value: 0x0d010101 } });
  });

  it.each([
    ['OID_GEN_NO_SUCH_THING', 'unknown OID name OID_GEN_NO_SUCH_THING'],
    ['0x0', 'is not an OID'],
    ['0x100000000', 'is not an OID'],
    ['alias', 'is not an OID'],
    ['-1', 'is not an OID'],
    ['1.5', 'is not an OID'],
  ])('refuses %s with a reason', (text, reason) => {
    const parsed = parseOid(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toContain(reason);
  });

  it('knows every catalogued OID by name and value, each value once', () => {
    expect(new Set(OIDS.map((o) => o.value)).size).toBe(OIDS.length);
    for (const oid of OIDS) expect(parseOid(oid.name)).toEqual(parseOid(oidHex(oid.value)));
  });
});

describe('checkSetValue', () => {
  const admin = { value: 0x00010288, name: 'OID_GEN_ADMIN_STATUS' };
  const alias = { value: 0x00010289, name: 'OID_GEN_ALIAS' };

  it('takes the admin status by name or NET_IF_ADMIN_STATUS number', () => {
    expect(checkSetValue(admin, 'down')).toEqual({ ok: true, value: 'down' });
    expect(checkSetValue(admin, 1)).toEqual({ ok: true, value: 'up' });
    expect(checkSetValue(admin, 'sideways')).toMatchObject({ ok: false, reason: expect.stringContaining('must be one of up, down, testing') });
    expect(checkSetValue(admin, 4).ok).toBe(false);
  });

  it('takes an alias of up to 256 characters without control characters', () => {
    expect(checkSetValue(alias, 'uplink to rack 7')).toEqual({ ok: true, value: 'uplink to rack 7' });
    expect(checkSetValue(alias, '')).toEqual({ ok: true, value: '' });
    expect(checkSetValue(alias, 'x'.repeat(257))).toMatchObject({ ok: false, reason: expect.stringContaining('at most 256') });
    expect(checkSetValue(alias, 'a\nb')).toMatchObject({ ok: false, reason: expect.stringContaining('control characters') });
    expect(checkSetValue(alias, 42)).toMatchObject({ ok: false, reason: expect.stringContaining('must be a string') });
  });

  it('passes any bounded JSON value for an OID it does not know', () => {
    expect(checkSetValue({ value: 0x0d010101 }, { any: [1, 2] })).toEqual({ ok: true, value: { any: [1, 2] } });
    expect(checkSetValue({ value: 0x0d010101 }, 'x'.repeat(20_000))).toMatchObject({ ok: false, reason: expect.stringContaining('bytes of JSON') });
    expect(checkSetValue({ value: 0x0d010101 }, undefined)).toMatchObject({ ok: false, reason: 'value is required' });
  });
});

describe('objectSetMessageIds', () => {
  it('derives one request and one answer id from a request id', () => {
    expect(objectSetMessageIds('r-1')).toEqual({ request: 'objset:r-1', answer: 'objset:r-1:answer' });
  });
});
