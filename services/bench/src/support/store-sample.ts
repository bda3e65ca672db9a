import type { EventData } from '@ifreg/ports';

/** The store benchmarks' workload: 100,000 events over 10 streams, appended 1,000 at a time. */
export const STORE_EVENTS = 100_000;
export const STORE_BATCH = 1_000;
export const STORE_STREAMS = 10;

/** The same rows for every store and its raw baseline; ids unique per run. */
export function storeSampleEvents(run: number): EventData[] {
  return Array.from({ length: STORE_EVENTS }, (_, i) => ({
    id: `${run}-${i}`,
    type: 'InterfaceRegistered',
    data: { type: 'InterfaceRegistered', scope: `s${i % STORE_STREAMS}`, ifIndex: (i % 65_535) + 1, info: { friendlyName: `eth${i}`, physAddress: '02:42:ac:11:00:02' } },
    metadata: { causationId: `m${i}` },
  }));
}
