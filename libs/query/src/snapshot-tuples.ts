import { luidView, shareCommonValues, type AccessType, type ConnectionType, type DirectionType, type InterfaceView, type LuidIndexView } from '@ifreg/domain';

/**
 * An interface as a snapshot stores it: its values in a fixed order, without the property
 * names V8's serializer writes for every object (they were ~60 % of a snapshot's bytes and of
 * its serialising time), and without what can be derived again (the LUID's value and name).
 */
export type InterfaceTuple = readonly [
  ifIndex: number, ifType: number, netLuidIndex: number, providerId: string, providerIfContext: string, epoch: number, registeredAt: string, registeredPosition: number,
  flags: number, busNumber: number, slotNumber: number, functionNumber: number, wanTunnelType: number, portNumber: number,
  accessType: AccessType, directionType: DirectionType, connectionType: ConnectionType, connectorPresent: boolean,
  physAddress: string, permanentPhysAddress: string, friendlyName: string, interfaceGuid: string, networkGuid: string,
  supportedStatistics: number, mediaType: number, physicalMediumType: number,
];

export type LuidIndexTuple = readonly [ifType: number, netLuidIndex: number, providerId: string, allocatedAt: string, position: number];

export function interfaceTuple(view: InterfaceView): InterfaceTuple {
  const info = view.info;
  const location = info.physicalLocation;
  return [
    view.ifIndex, view.luid.ifType, view.luid.netLuidIndex, view.providerId, view.providerIfContext, view.epoch, view.registeredAt, view.registeredPosition,
    info.flags, location.busNumber, location.slotNumber, location.functionNumber, info.wanTunnelType, info.portNumber,
    info.accessType, info.directionType, info.connectionType, info.connectorPresent,
    info.physAddress, info.permanentPhysAddress, info.friendlyName, info.interfaceGuid, info.networkGuid,
    info.supportedStatistics, info.mediaType, info.physicalMediumType,
  ];
}

/** The view the fold would have built (same fields, same order, common values shared). */
export function interfaceFromTuple(t: InterfaceTuple): InterfaceView {
  const luid = { ifType: t[1], netLuidIndex: t[2] };
  return {
    ifIndex: t[0],
    luid: luidView(luid),
    providerId: t[3],
    providerIfContext: t[4],
    info: shareCommonValues({
      flags: t[8],
      physicalLocation: { busNumber: t[9], slotNumber: t[10], functionNumber: t[11] },
      wanTunnelType: t[12],
      portNumber: t[13],
      accessType: t[14],
      directionType: t[15],
      connectionType: t[16],
      connectorPresent: t[17],
      physAddress: t[18],
      permanentPhysAddress: t[19],
      friendlyName: t[20],
      interfaceGuid: t[21],
      networkGuid: t[22],
      supportedStatistics: t[23],
      mediaType: t[24],
      physicalMediumType: t[25],
    }),
    epoch: t[5],
    registeredAt: t[6],
    registeredPosition: t[7],
  };
}

export const luidIndexTuple = (view: LuidIndexView): LuidIndexTuple => [view.luid.ifType, view.luid.netLuidIndex, view.providerId, view.allocatedAt, view.position];

export function luidIndexFromTuple(t: LuidIndexTuple): LuidIndexView {
  const luid = { ifType: t[0], netLuidIndex: t[1] };
  return { luid: luidView(luid), providerId: t[2], allocatedAt: t[3], position: t[4] };
}
