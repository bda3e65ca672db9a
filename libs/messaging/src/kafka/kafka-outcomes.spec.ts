import fc from 'fast-check';
import type { Outcome } from '@ifreg/ports';
import { outcomeValue } from './kafka-outcomes';

const registered = {
  type: 'InterfaceRegistered', scope: 'host-a', epoch: 1, ifIndex: 7, luid: { ifType: 6, netLuidIndex: 3 }, providerId: 'agent-a',
  providerIfContext: 'ctx \u2713', info: { friendlyName: 'eth3' }, causationId: 'm-1', at: '2026-11-24T12:00:00.000Z',
} as unknown as Outcome['event'];

describe("an outcome record's value", () => {
  it("is the event's JSON with its position, the same from the registrar's JSON of the event as serialised anew", () => {
    fc.assert(
      fc.property(fc.object(), fc.nat(), (extra, position) => {
        const event = { ...extra, ...registered };
        const expected = JSON.stringify({ ...event, position });
        expect(outcomeValue(event, position)).toBe(expected);
        expect(outcomeValue(event, position, JSON.stringify(event))).toBe(expected);
      }),
    );
  });

  it('is serialised anew when the event already has a position field', () => {
    const event = { position: 1, ...registered } as unknown as Outcome['event'];
    expect(outcomeValue(event, 9, JSON.stringify(event))).toBe(JSON.stringify({ ...event, position: 9 }));
  });
});
