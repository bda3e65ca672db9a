import { randomUUID } from 'node:crypto';
import { SCHEMA_VERSION } from '@ifreg/contracts';
import { luidHex, luidName, type NetIfInformationInput, type NetLuid, type RegistryEvent } from '@ifreg/domain';
import type { Outcome } from '@ifreg/ports';
import { backoffDelay, nameBasedUuid, retry } from '@ifreg/platform';
import { RegistrationError, RegistryClientError, UnexpectedOutcomeError } from './errors';
import type { RegistryClient, WireMessage } from './registry-client';
import { emptyState, readStateFile, StateFileError, writeStateFile, type ProviderState } from './state-file';
import type { ProviderObjectChannel } from './objects/object-channel';
import type { ObjectHandlers } from './objects/object-handlers';
import { ObjectServer } from './objects/object-server';
import type { Logger } from '@ifreg/platform';

export interface ProviderOptions {
  /** Who registers (NdisIfRegisterProvider's provider), e.g. `agent-linux`. */
  readonly providerId: string;
  /** The computer the interfaces belong to (DESIGN.md §2: one scope per host). */
  readonly scope: string;
  readonly client: RegistryClient;
  /** The JSON file the provider's NET_LUIDs and last boot id persist in. */
  readonly stateFile: string;
  /** How long one attempt waits for its outcome (default 10 s). */
  readonly timeoutMs?: number;
  /** Further attempts after a retriable failure, with the same message id (default 2). */
  readonly retries?: number;
  /** Wait before the first retry, doubling after each (default 250 ms). */
  readonly retryDelayMs?: number;
  readonly now?: () => Date;
  readonly newMessageId?: () => string;
}

/** Which interface: a key the provider allocated a LUID under, or a NET_LUID itself. */
export type InterfaceRef = { readonly key: string } | { readonly luid: NetLuid };

export interface Detection {
  readonly info: NetIfInformationInput;
  /** Opaque to the registry, handed back with the registration (at most 256 bytes). */
  readonly providerIfContext?: string;
}

export interface Registration {
  readonly ifIndex: number;
  readonly luid: NetLuid;
  /** The store position of the outcome: pass it as `minPosition` to read your own write. */
  readonly position: number;
}

export interface KnownLuid {
  readonly luid: NetLuid;
  /** Registered in the current boot epoch, as far as this provider knows. */
  readonly registered: boolean;
}

/**
 * An interface provider, as NdisIfRegisterProvider gives one: it obtains NET_LUID indexes
 * from the registry once and keeps them in its state file (NDIS: in persistent storage), so
 * an interface re-registers with the same LUID after every restart; it registers and
 * deregisters interfaces, announces boot epochs, and awaits each outcome.
 *
 * Refusals recorded by the registry reject with RegistrationError (status, reason); no
 * answer at all rejects with a RegistryClientError once the retries are spent. Every
 * attempt of one call sends the same message id, which the registry records only once.
 */
export class Provider {
  private loaded: Promise<ProviderState> | undefined;
  private writing: Promise<void> = Promise.resolve();
  private readonly inFlight = new Map<string, Promise<unknown>>();
  private readonly now: () => Date;
  private readonly newMessageId: () => string;

  constructor(private readonly options: ProviderOptions) {
    this.now = options.now ?? (() => new Date());
    this.newMessageId = options.newMessageId ?? randomUUID;
  }

  get scope(): string {
    return this.options.scope;
  }

  get providerId(): string {
    return this.options.providerId;
  }

  /**
   * NdisIfAllocateNetLuidIndex, once per key: the LUID kept under `key`, or a new one
   * from the registry, saved before it is returned.
   */
  allocateLuid(ifType: number, key: string): Promise<NetLuid> {
    return this.oncePerKey(key, async () => {
      const state = await this.state();
      await this.resumePending(state, key);
      const known = state.luids[key];
      if (known) {
        if (known.ifType !== ifType) {
          throw new Error(`'${key}' holds ${luidName(known)} of ifType ${known.ifType}, not ${ifType}: free it first`);
        }
        return { ifType: known.ifType, netLuidIndex: known.netLuidIndex };
      }
      state.pending[key] = { type: 'NetLuidIndexRequested', messageId: this.newMessageId(), ifType };
      await this.persist(state);
      await this.resumePending(state, key);
      const allocated = state.luids[key];
      if (!allocated) throw new Error(`no NET_LUID recorded for '${key}'`); // resumePending throws first
      return { ifType: allocated.ifType, netLuidIndex: allocated.netLuidIndex };
    });
  }

  /**
   * NdisIfFreeNetLuidIndex for the LUID kept under `key`; false when the key holds none.
   * When the registry says the index is not this provider's, the local entry is dropped
   * (it was stale) and the RegistrationError is thrown.
   */
  freeLuid(key: string): Promise<boolean> {
    return this.oncePerKey(key, async () => {
      const state = await this.state();
      await this.resumePending(state, key);
      if (!state.luids[key]) return false;
      state.pending[key] = { type: 'NetLuidIndexFreeRequested', messageId: this.newMessageId() };
      await this.persist(state);
      await this.resumePending(state, key);
      return true;
    });
  }

  /** NdisIfRegisterInterface: the interface index of the registration. */
  async detect(target: InterfaceRef & Detection): Promise<Registration> {
    const state = await this.state();
    const luid = this.luidFor(state, target);
    const messageId = this.newMessageId();
    const outcome = await this.request({
      type: 'InterfaceDetected',
      schemaVersion: SCHEMA_VERSION,
      messageId,
      scope: this.scope,
      providerId: this.providerId,
      luid,
      ...(target.providerIfContext === undefined ? {} : { providerIfContext: target.providerIfContext }),
      info: target.info,
      detectedAt: this.now().toISOString(),
    });
    const event = expectOutcome(outcome, 'InterfaceRegistered', messageId);
    await this.markRegistered(state, luid, true);
    return { ifIndex: event.ifIndex, luid: event.luid, position: outcome.position };
  }

  /**
   * NdisIfDeregisterInterface. An interface the registry does not know in this epoch
   * rejects with RegistrationError INTERFACE_NOT_FOUND (and is no longer marked registered).
   */
  async remove(target: InterfaceRef): Promise<Registration> {
    const state = await this.state();
    const luid = this.luidFor(state, target);
    const messageId = this.newMessageId();
    const outcome = await this.request({ type: 'InterfaceRemoved', schemaVersion: SCHEMA_VERSION, messageId, scope: this.scope, providerId: this.providerId, luid });
    if (outcome.event.type === 'RegistrationFailed' && outcome.event.status === 'INTERFACE_NOT_FOUND') await this.markRegistered(state, luid, false);
    const event = expectOutcome(outcome, 'InterfaceDeregistered', messageId);
    await this.markRegistered(state, luid, false);
    return { ifIndex: event.ifIndex, luid: event.luid, position: outcome.position };
  }

  /**
   * The scope's computer restarted: every registration of the previous epoch is void.
   * The message id is derived from scope and boot id (as the all-in-one's own host
   * registration does), so announcing the same boot twice starts one epoch, not two.
   */
  async bootEpoch(bootId?: string): Promise<{ epoch: number; position: number }> {
    const state = await this.state();
    const messageId = bootId === undefined ? this.newMessageId() : nameBasedUuid('ifreg/boot', this.scope, bootId);
    const outcome = await this.request({
      type: 'BootEpoch',
      schemaVersion: SCHEMA_VERSION,
      messageId,
      scope: this.scope,
      ...(bootId === undefined ? {} : { bootId }),
      at: this.now().toISOString(),
    });
    const event = expectOutcome(outcome, 'BootEpochStarted', messageId);
    for (const entry of Object.values(state.luids)) delete entry.registered;
    await this.persist(state);
    return { epoch: event.epoch, position: outcome.position };
  }

  async lastBootId(): Promise<string | undefined> {
    return (await this.state()).bootId;
  }

  async rememberBootId(bootId: string): Promise<void> {
    const state = await this.state();
    state.bootId = bootId;
    await this.persist(state);
  }

  async luidOf(key: string): Promise<NetLuid | undefined> {
    const entry = (await this.state()).luids[key];
    return entry && { ifType: entry.ifType, netLuidIndex: entry.netLuidIndex };
  }

  /** Every key with a LUID, and whether it is registered in this epoch as far as we know. */
  async known(): Promise<ReadonlyMap<string, KnownLuid>> {
    const state = await this.state();
    return new Map(
      Object.entries(state.luids).map(([key, e]) => [key, { luid: { ifType: e.ifType, netLuidIndex: e.netLuidIndex }, registered: e.registered === true }]),
    );
  }

  /**
   * Answers the registry's OID queries and sets about this provider's interfaces (NDIS's
   * ProviderQueryObject / ProviderSetObject): each request arrives on `channel` with the
   * ProviderIfContext the interface was registered with. Resolves once requests can arrive.
   */
  async serveObjects(channel: ProviderObjectChannel, handlers: ObjectHandlers, log: Logger): Promise<ObjectServer> {
    const server = new ObjectServer({ scope: this.scope, providerId: this.providerId, channel, handlers, log, now: this.now });
    await server.start();
    return server;
  }

  /** Resolves once every state change so far is on disk. */
  async flush(): Promise<void> {
    await this.writing;
  }

  private state(): Promise<ProviderState> {
    this.loaded ??= this.load();
    return this.loaded;
  }

  private async load(): Promise<ProviderState> {
    const { stateFile, scope, providerId } = this.options;
    const state = await readStateFile(stateFile);
    if (!state) return emptyState(scope, providerId);
    if (state.scope !== scope || state.providerId !== providerId) {
      // LUIDs are allocated per scope and held per provider: another's are not ours to use.
      throw new StateFileError(stateFile, `belongs to provider '${state.providerId}' in scope '${state.scope}', not '${providerId}' in '${scope}'`);
    }
    return state;
  }

  /** Sends the request written ahead for `key`, if any, and records its answer. */
  private async resumePending(state: ProviderState, key: string): Promise<void> {
    const pending = state.pending[key];
    if (!pending) return;
    if (pending.type === 'NetLuidIndexRequested') {
      const outcome = await this.request({
        type: 'NetLuidIndexRequested',
        schemaVersion: SCHEMA_VERSION,
        messageId: pending.messageId,
        scope: this.scope,
        providerId: this.providerId,
        ifType: pending.ifType,
      });
      delete state.pending[key];
      if (outcome.event.type === 'NetLuidIndexAllocated') state.luids[key] = { ...outcome.event.luid };
      await this.persist(state);
      expectOutcome(outcome, 'NetLuidIndexAllocated', pending.messageId);
      return;
    }
    const held = state.luids[key];
    if (held) {
      const outcome = await this.request({
        type: 'NetLuidIndexFreeRequested',
        schemaVersion: SCHEMA_VERSION,
        messageId: pending.messageId,
        scope: this.scope,
        providerId: this.providerId,
        luid: { ifType: held.ifType, netLuidIndex: held.netLuidIndex },
      });
      const failedOtherwise = outcome.event.type === 'RegistrationFailed' && outcome.event.status !== 'INVALID_PARAMETER';
      delete state.pending[key];
      if (!failedOtherwise) delete state.luids[key];
      await this.persist(state);
      expectOutcome(outcome, 'NetLuidIndexFreed', pending.messageId);
      return;
    }
    delete state.pending[key];
    await this.persist(state);
  }

  /** Sends one message, again with the same id after a retriable failure. */
  private request(message: WireMessage): Promise<Outcome> {
    const timeoutMs = this.options.timeoutMs;
    return retry(() => this.options.client.send(message, timeoutMs === undefined ? {} : { timeoutMs }), {
      retries: this.options.retries ?? 2,
      retryIf: (error) => error instanceof RegistryClientError && error.retriable,
      delayMs: (failures) => backoffDelay(failures, { minMs: this.options.retryDelayMs ?? 250, maxMs: Number.MAX_SAFE_INTEGER }),
    });
  }

  private luidFor(state: ProviderState, target: InterfaceRef): NetLuid {
    if ('luid' in target) return target.luid;
    const entry = state.luids[target.key];
    if (!entry) throw new Error(`no NET_LUID allocated for '${target.key}': call allocateLuid first`);
    return { ifType: entry.ifType, netLuidIndex: entry.netLuidIndex };
  }

  private async markRegistered(state: ProviderState, luid: NetLuid, registered: boolean): Promise<void> {
    const hex = luidHex(luid);
    const entry = Object.values(state.luids).find((e) => luidHex(e) === hex);
    if (!entry || (entry.registered === true) === registered) return;
    if (registered) entry.registered = true;
    else delete entry.registered;
    await this.persist(state);
  }

  /** Writes in call order; each write carries the state as it was when it was asked for. */
  private persist(state: ProviderState): Promise<void> {
    const snapshot = structuredClone(state);
    const write = this.writing.catch(() => undefined).then(() => writeStateFile(this.options.stateFile, snapshot));
    this.writing = write;
    return write;
  }

  /** One operation per key at a time: a second allocation for a key finds the first one's LUID. */
  private oncePerKey<T>(key: string, operation: () => Promise<T>): Promise<T> {
    const previous = this.inFlight.get(key) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(operation);
    this.inFlight.set(key, next);
    void next.finally(() => {
      if (this.inFlight.get(key) === next) this.inFlight.delete(key);
    }).catch(() => undefined);
    return next;
  }
}

type EventOf<T extends RegistryEvent['type']> = Extract<RegistryEvent, { type: T }>;

/** The event the call expects, a RegistrationError for a recorded refusal, else a bug. */
function expectOutcome<T extends RegistryEvent['type']>(outcome: Outcome, type: T, messageId: string): EventOf<T> {
  const { event } = outcome;
  if (event.type === type) return event as EventOf<T>;
  if (event.type === 'RegistrationFailed') throw new RegistrationError(event);
  throw new UnexpectedOutcomeError(type, event.type, messageId);
}

