import fc from 'fast-check';
import {
  completeInfo,
  MAX_FRIENDLY_NAME,
  MAX_MEDIA_TYPE,
  MAX_PHYSICAL_MEDIUM,
  type NetIfInformation,
  type NetIfInformationInput,
  NIIF_FILTER_INTERFACE,
  NIIF_HARDWARE_INTERFACE,
  sameInfo,
  UINT32_MAX,
  UNKNOWN_U32,
  ZERO_GUID,
} from './interface-info';
import type { Checked } from './result';

const GUID = '6B29FC40-CA47-1067-B31D-00DD010662DA';

function valueOf<T>(checked: Checked<T>): T {
  if (!checked.ok) throw new Error(`expected acceptance, got: ${checked.reason}`);
  return checked.value;
}

function reasonOf<T>(checked: Checked<T>): string {
  if (checked.ok) throw new Error(`expected a refusal, got ${JSON.stringify(checked.value)}`);
  return checked.reason;
}

/** The input as it would come from the wire: anything a JSON schema slip could let through. */
const loose = (fields: Record<string, unknown>): NetIfInformationInput => ({ friendlyName: 'eth0', ...fields });

const macOf = (bytes: number): string => Array.from({ length: bytes }, (_, i) => (i % 256).toString(16).padStart(2, '0')).join(':');

describe('NET_IF_INFORMATION given only a friendly name', () => {
  it('is completed with the NDIS defaults', () => {
    expect(valueOf(completeInfo({ friendlyName: 'eth0' }))).toEqual<NetIfInformation>({
      flags: 0,
      physicalLocation: { busNumber: UNKNOWN_U32, slotNumber: UNKNOWN_U32, functionNumber: UNKNOWN_U32 },
      wanTunnelType: UNKNOWN_U32,
      portNumber: 0,
      accessType: 'broadcast',
      directionType: 'sendReceive',
      connectionType: 'dedicated',
      connectorPresent: false,
      physAddress: '',
      permanentPhysAddress: '',
      friendlyName: 'eth0',
      interfaceGuid: ZERO_GUID,
      networkGuid: ZERO_GUID,
      supportedStatistics: 0,
      mediaType: 0,
      physicalMediumType: 0,
    });
  });
});

describe('NET_IF_INFORMATION given every field', () => {
  const input: NetIfInformationInput = {
    flags: NIIF_HARDWARE_INTERFACE | NIIF_FILTER_INTERFACE,
    physicalLocation: { busNumber: 0, slotNumber: 3, functionNumber: 1 },
    wanTunnelType: 4,
    portNumber: UINT32_MAX,
    accessType: 'pointToPoint',
    directionType: 'receiveOnly',
    connectionType: 'demand',
    connectorPresent: true,
    physAddress: '02:42:AC:11:00:02',
    permanentPhysAddress: '02:42:ac:11:00:03',
    friendlyName: 'Ethernet 2',
    interfaceGuid: GUID,
    networkGuid: GUID,
    supportedStatistics: UINT32_MAX,
    mediaType: MAX_MEDIA_TYPE,
    physicalMediumType: MAX_PHYSICAL_MEDIUM,
  };

  it('keeps them, with addresses and GUIDs in lower case', () => {
    expect(valueOf(completeInfo(input))).toEqual({
      ...input,
      physAddress: '02:42:ac:11:00:02',
      interfaceGuid: GUID.toLowerCase(),
      networkGuid: GUID.toLowerCase(),
    });
  });
});

describe('NET_IF_INFORMATION with a physical address and no permanent one', () => {
  it('takes the physical address as the permanent one', () => {
    expect(valueOf(completeInfo({ friendlyName: 'eth0', physAddress: '02:42:AC:11:00:02' })).permanentPhysAddress).toBe('02:42:ac:11:00:02');
  });
});

describe('NET_IF_INFORMATION with part of the physical location', () => {
  it('fills the missing numbers with unknown (all ones)', () => {
    expect(valueOf(completeInfo({ friendlyName: 'eth0', physicalLocation: { slotNumber: 2 } })).physicalLocation).toEqual({
      busNumber: UNKNOWN_U32,
      slotNumber: 2,
      functionNumber: UNKNOWN_U32,
    });
  });
});

describe('NET_IF_INFORMATION at its limits', () => {
  it.each<[string, NetIfInformationInput]>([
    ['a 32-byte physical address', { friendlyName: 'eth0', physAddress: macOf(32) }],
    ['a 32-byte permanent physical address', { friendlyName: 'eth0', permanentPhysAddress: macOf(32) }],
    ['a one-byte physical address', { friendlyName: 'eth0', physAddress: 'ff' }],
    ['a 256-character friendly name', { friendlyName: 'n'.repeat(MAX_FRIENDLY_NAME) }],
    ['a 256-character friendly name of astral characters (512 UTF-16 units)', { friendlyName: '🜁'.repeat(MAX_FRIENDLY_NAME) }],
    ['a one-character friendly name', { friendlyName: 'x' }],
    ['both known flags', { friendlyName: 'eth0', flags: 3 }],
    ['port number 2^32 - 1', { friendlyName: 'eth0', portNumber: UINT32_MAX }],
    ['wan tunnel type 0', { friendlyName: 'eth0', wanTunnelType: 0 }],
    ['media type 19 (IP)', { friendlyName: 'eth0', mediaType: 19 }],
    ['physical medium 20', { friendlyName: 'eth0', physicalMediumType: 20 }],
    ['an upper-case GUID', { friendlyName: 'eth0', interfaceGuid: GUID }],
  ])('accepts %s', (_, input) => {
    expect(completeInfo(input).ok).toBe(true);
  });
});

describe('NET_IF_INFORMATION beyond a limit', () => {
  it.each<[string, Record<string, unknown>, RegExp]>([
    ['flags with a bit reserved to NDIS', { flags: 0x4 }, /info\.flags/],
    ['flags with the top bit', { flags: 0x80000001 }, /info\.flags/],
    ['negative flags', { flags: -1 }, /info\.flags/],
    ['a physical address of 33 bytes', { physAddress: macOf(33) }, /info\.physAddress.*32/],
    ['a physical address with dashes', { physAddress: '02-42-ac-11-00-02' }, /info\.physAddress/],
    ['a physical address with a one-digit byte', { physAddress: '2:42:ac:11:00:02' }, /info\.physAddress/],
    ['a physical address with a trailing colon', { physAddress: '02:42:' }, /info\.physAddress/],
    ['a physical address that is not hex', { physAddress: 'zz:00' }, /info\.physAddress/],
    ['a permanent physical address of 33 bytes', { permanentPhysAddress: macOf(33) }, /info\.permanentPhysAddress/],
    ['an empty friendly name', { friendlyName: '' }, /info\.friendlyName/],
    ['a friendly name of 257 characters', { friendlyName: 'n'.repeat(MAX_FRIENDLY_NAME + 1) }, /info\.friendlyName.*256/],
    ['an interface GUID without dashes', { interfaceGuid: '6b29fc40ca471067b31d00dd010662da' }, /info\.interfaceGuid/],
    ['an interface GUID in braces', { interfaceGuid: `{${GUID}}` }, /info\.interfaceGuid/],
    ['a network GUID that is too short', { networkGuid: '6b29fc40-ca47-1067-b31d-00dd010662d' }, /info\.networkGuid/],
    ['media type 20', { mediaType: 20 }, /info\.mediaType/],
    ['media type -1', { mediaType: -1 }, /info\.mediaType/],
    ['media type 1.5', { mediaType: 1.5 }, /info\.mediaType/],
    ['physical medium 21', { physicalMediumType: 21 }, /info\.physicalMediumType/],
    ['an unknown access type', { accessType: 'multicast' }, /info\.accessType.*broadcast/],
    ['an unknown direction type', { directionType: 'both' }, /info\.directionType/],
    ['an unknown connection type', { connectionType: 'always' }, /info\.connectionType/],
    ['port number 2^32', { portNumber: UINT32_MAX + 1 }, /info\.portNumber/],
    ['a negative port number', { portNumber: -1 }, /info\.portNumber/],
    ['a fractional wan tunnel type', { wanTunnelType: 0.5 }, /info\.wanTunnelType/],
    ['supported statistics over 32 bits', { supportedStatistics: 2 ** 32 }, /info\.supportedStatistics/],
    ['a bus number over 32 bits', { physicalLocation: { busNumber: 2 ** 32 } }, /info\.physicalLocation\.busNumber/],
    ['a negative function number', { physicalLocation: { functionNumber: -1 } }, /info\.physicalLocation\.functionNumber/],
  ])('refuses %s with a reason naming the field', (_, fields, reason) => {
    expect(reasonOf(completeInfo(loose(fields)))).toMatch(reason);
  });
});

describe('NET_IF_INFORMATION with any number of physical-address bytes', () => {
  it('is accepted up to 32 bytes and refused beyond', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 64 }), (bytes) => {
        expect(completeInfo({ friendlyName: 'eth0', physAddress: macOf(bytes) }).ok).toBe(bytes <= 32);
      }),
    );
  });
});

describe('two completed NET_IF_INFORMATION records', () => {
  const a = valueOf(completeInfo({ friendlyName: 'eth0', physAddress: '02:42:ac:11:00:02', flags: 1 }));

  it('are the same when completed from equivalent inputs (explicit defaults, upper-case address)', () => {
    const b = valueOf(completeInfo({ friendlyName: 'eth0', physAddress: '02:42:AC:11:00:02', flags: 1, portNumber: 0, accessType: 'broadcast' }));
    expect(sameInfo(a, b)).toBe(true);
  });

  it('are the same when one was read back with its keys in another order, as a JSON store may return it', () => {
    const reordered = Object.fromEntries(
      Object.entries(a)
        .reverse()
        .map(([k, v]) => [k, k === 'physicalLocation' ? Object.fromEntries(Object.entries(v as object).reverse()) : v]),
    ) as unknown as NetIfInformation;
    expect(sameInfo(a, reordered)).toBe(true);
    expect(sameInfo(reordered, a)).toBe(true);
  });

  it('differ when any one field differs, whichever it is', () => {
    const changes: Partial<NetIfInformation>[] = [
      { flags: 2 },
      { physicalLocation: { ...a.physicalLocation, slotNumber: 1 } },
      { wanTunnelType: 1 },
      { portNumber: 1 },
      { accessType: 'loopback' },
      { directionType: 'sendOnly' },
      { connectionType: 'passive' },
      { connectorPresent: true },
      { physAddress: '02:42:ac:11:00:03' },
      { permanentPhysAddress: '' },
      { friendlyName: 'eth1' },
      { interfaceGuid: GUID.toLowerCase() },
      { networkGuid: GUID.toLowerCase() },
      { supportedStatistics: 1 },
      { mediaType: 1 },
      { physicalMediumType: 14 },
    ];
    expect(changes.flatMap((change) => Object.keys(change)).sort()).toEqual(Object.keys(a).sort());
    for (const change of changes) expect([change, sameInfo(a, { ...a, ...change })]).toEqual([change, false]);
  });
});
