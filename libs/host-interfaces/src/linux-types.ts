import { NIIF_HARDWARE_INTERFACE, type AccessType } from '@ifreg/domain';

/** How a Linux link maps to IANA ifType and NDIS medium values (NDIS-NOTES.md). */
export interface LinkKind {
  readonly ifType: number;
  readonly mediaType: number;
  readonly physicalMediumType: number;
}

// ARPHRD_* from linux/if_arp.h
const ARPHRD_ETHER = 1;
const ARPHRD_PPP = 512;
const ARPHRD_TUNNEL = 768;
const ARPHRD_TUNNEL6 = 769;
const ARPHRD_LOOPBACK = 772;
const ARPHRD_SIT = 776;
const ARPHRD_IPGRE = 778;
const ARPHRD_IEEE80211 = 801;
const ARPHRD_NONE = 65534;

const IFF_LOOPBACK = 0x8;
const IFF_POINTOPOINT = 0x10;

const ETHERNET: LinkKind = { ifType: 6, mediaType: 0, physicalMediumType: 0 };
const TUNNEL: LinkKind = { ifType: 131, mediaType: 15, physicalMediumType: 0 };

export function linkKind(arpType: number, wireless: boolean, hardware: boolean): LinkKind {
  if (wireless || arpType === ARPHRD_IEEE80211) return { ifType: 71, mediaType: 16, physicalMediumType: 9 };
  switch (arpType) {
    case ARPHRD_ETHER:
      return hardware ? { ...ETHERNET, physicalMediumType: 14 } : ETHERNET;
    case ARPHRD_LOOPBACK:
      return { ifType: 24, mediaType: 17, physicalMediumType: 0 };
    case ARPHRD_PPP:
      return { ifType: 23, mediaType: 3, physicalMediumType: 0 };
    case ARPHRD_TUNNEL:
    case ARPHRD_TUNNEL6:
    case ARPHRD_SIT:
    case ARPHRD_IPGRE:
    case ARPHRD_NONE:
      return TUNNEL;
    default:
      return { ifType: 1, mediaType: 0, physicalMediumType: 19 };
  }
}

export function accessType(flags: number): AccessType {
  if (flags & IFF_LOOPBACK) return 'loopback';
  if (flags & IFF_POINTOPOINT) return 'pointToPoint';
  return 'broadcast';
}

export const hardwareFlags = (hardware: boolean): number => (hardware ? NIIF_HARDWARE_INTERFACE : 0);
