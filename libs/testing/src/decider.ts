import { decide, DEFAULT_OPTIONS, evolve, initialState, type Decision, type FailureStatus, type RegistrarMessage, type RegistrationFailed, type RegistryEvent, type RegistryOptions, type RegistryState } from '@ifreg/domain';

/*
 * The decider's given / when / then harness: a history of events, a message, and checks of
 * what `decide` recorded and answered. Every `when` also checks that `decide` left the state
 * it was given as it was (it is pure), and every refusal that it changed nothing registered.
 */

export interface Then {
  readonly decision: Decision;
  /** The state after the decided events were evolved into it. */
  readonly state: RegistryState;
  /** The decision recorded exactly these events, and answers with the (only) one. */
  then(...expected: readonly RegistryEvent[]): Then;
  /** The decision recorded one RegistrationFailed for this message, and changed nothing but the remembered outcome. */
  thenFailed(status: FailureStatus, reason?: RegExp): RegistrationFailed;
  /** The decision recorded nothing; returns its answer. */
  thenNothingRecorded(): RegistryEvent;
  /** The decision recorded only that the interface was detected again, and answers with its registration. */
  thenRedetected(): RegistryEvent;
  /** A further message, against the evolved state. */
  when(message: RegistrarMessage): Then;
}

export interface Given {
  readonly state: RegistryState;
  when(message: RegistrarMessage): Then;
}

/** The used marks as a list of indexes: jest compares 65,536-byte typed arrays slowly. */
const usedIndexes = (used: ReadonlySet<number>): number[] => [...used].sort((a, b) => a - b);

/** What `decide` may not touch and a failure may not change: everything but the remembered outcomes. */
export const registrationsOf = (state: RegistryState) => ({
  epoch: state.epoch,
  bootId: state.bootId,
  allocator: { max: state.allocator.max, live: state.allocator.live, last: state.allocator.last, used: usedIndexes(state.allocator.used) },
  byLuid: [...state.byLuid].map(([luid, r]) => `${luid} → ifIndex ${r.ifIndex} epoch ${r.epoch} by ${r.causationId}`).join('\n'),
});

/** The whole state, the remembered outcomes too. */
export const stateOf = (state: RegistryState) => ({
  ...registrationsOf(state),
  outcomes: [...state.outcomes].map(([messageId, event]) => `${messageId} → ${event.type}`).join('\n'),
});

/** The harness for one scope, every message received at `receivedAt`. */
export function deciderScene(scope: string, receivedAt: string) {
  /** Runs messages through decide and evolve as the registrar does, returning the events recorded. */
  function recorded(options: RegistryOptions, ...messages: readonly RegistrarMessage[]): RegistryEvent[] {
    const state = initialState(scope, options);
    return messages.flatMap((message) => {
      const { events } = decide(state, { message, receivedAt });
      for (const event of events) evolve(state, event);
      return events;
    });
  }

  function whenOn(state: RegistryState, message: RegistrarMessage): Then {
    const before = stateOf(state);
    const decision = decide(state, { message, receivedAt });
    // decide is pure: whatever it answers, the state it was given is as it was.
    expect(stateOf(state)).toEqual(before);
    const beforeRegistrations = registrationsOf(state);
    for (const event of decision.events) evolve(state, event);
    const then: Then = {
      decision,
      state,
      then(...expected) {
        expect(decision.events).toEqual(expected);
        if (expected.length === 1) expect(decision.outcome).toEqual(expected[0]);
        return then;
      },
      thenFailed(status, reason) {
        expect(decision.events).toHaveLength(1);
        const [event] = decision.events;
        expect(event).toMatchObject({ type: 'RegistrationFailed', scope, status, causationId: message.messageId, at: receivedAt });
        if (reason) expect((event as RegistrationFailed).reason).toMatch(reason);
        expect(decision.outcome).toBe(event);
        expect(registrationsOf(state)).toEqual(beforeRegistrations);
        return event as RegistrationFailed;
      },
      thenNothingRecorded() {
        expect(decision.events).toEqual([]);
        return decision.outcome;
      },
      thenRedetected() {
        expect(decision.events).toEqual([expect.objectContaining({ type: 'InterfaceRedetected', causationId: message.messageId })]);
        expect(registrationsOf(state)).toEqual(beforeRegistrations);
        expect(decision.outcome).toMatchObject({ type: 'InterfaceRegistered', causationId: message.messageId });
        return decision.outcome;
      },
      when: (next) => whenOn(state, next),
    };
    return then;
  }

  function givenWith(options: Partial<RegistryOptions>, ...history: readonly RegistryEvent[]): Given {
    const state = initialState(scope, { ...DEFAULT_OPTIONS, ...options });
    for (const event of history) evolve(state, event);
    return { state, when: (message) => whenOn(state, message) };
  }

  return {
    recorded,
    givenWith,
    given: (...history: readonly RegistryEvent[]): Given => givenWith({}, ...history),
    /** The history a sequence of messages leaves with the default options. */
    after: (...messages: readonly RegistrarMessage[]): RegistryEvent[] => recorded(DEFAULT_OPTIONS, ...messages),
  };
}
