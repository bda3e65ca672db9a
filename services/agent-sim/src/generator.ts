import type { NetLuid } from '@ifreg/domain';
import { simInterface, scopeName, MAX_INTERFACES_PER_SCOPE, type FleetShape, type SimInterface } from './fleet';
import { INVALID_KINDS, isDeadLetterKind, spoil, type InvalidKind } from './invalid';
import { seededRandom, type Random } from '@ifreg/platform';

export interface PlanOptions extends FleetShape {
  /** Part of every message id, so a rerun is not answered from the registrar's dedupe memory. */
  readonly runId: string;
  /** Fraction of steps that remove a registered interface (re-detected later). */
  readonly churn: number;
  /** Fraction of steps that send a spoiled detection instead. */
  readonly invalid: number;
  readonly invalidKinds: readonly InvalidKind[];
  /** `detectedAt`/`at` of message n is this plus n ms: the plan needs no clock. */
  readonly startTime: number;
}

export type SentType = 'InterfaceDetected' | 'InterfaceRemoved' | 'BootEpoch';

/** What the registrar should answer, on the outcomes topic, or a dead letter and no answer. */
export type Expected =
  | { readonly type: 'InterfaceRegistered' | 'InterfaceDeregistered' | 'BootEpochStarted' }
  | { readonly type: 'RegistrationFailed'; readonly status: 'INVALID_PARAMETER' }
  | { readonly type: 'dead-letter' };

/**
 * - detect: first detection of an interface; redetect: again, after a removal or a boot;
 * - reannounce: detected again while registered, identically (an agent that restarted);
 * - remove, boot, invalid.
 */
export type Action = 'detect' | 'redetect' | 'reannounce' | 'remove' | 'boot' | 'invalid';

export interface PlannedMessage {
  readonly seq: number;
  readonly messageId: string;
  readonly type: SentType;
  readonly action: Action;
  readonly scope: string;
  readonly luid?: NetLuid;
  readonly invalid?: InvalidKind;
  readonly expected: Expected;
  /** The Kafka key (always the real scope, so a spoiled message stays in its scope's order) and value. */
  readonly key: string;
  readonly value: string;
}

/** The simulator's model of one scope, which the registrar's state should mirror. */
interface ScopeModel {
  readonly index: number;
  readonly name: string;
  /** Ordinals below this were detected at least once. */
  fresh: number;
  /** Registered now; swap-removed for O(1) random picks. */
  readonly registered: number[];
  /** Removed (or voided by a boot), waiting to be detected again, oldest first. */
  readonly removed: number[];
  removedHead: number;
  boots: number;
}

/**
 * The simulated fleet as a deterministic stream of agent messages: the same options give
 * the same messages in the same order. Pure (no clock, no I/O); the runner decides when
 * to take the next step and when a scope boots.
 */
export class MessagePlan {
  private readonly random: Random;
  private readonly models: ScopeModel[];
  private readonly perScope: number;
  private seq = 0;

  constructor(private readonly options: PlanOptions) {
    checkPlanOptions(options);
    this.random = seededRandom(options.seed);
    this.perScope = options.providers * options.interfaces;
    this.models = Array.from({ length: options.scopes }, (_, index) => ({
      index,
      name: scopeName(options, index),
      fresh: 0,
      registered: [],
      removed: [],
      removedHead: 0,
      boots: 0,
    }));
  }

  get scopes(): readonly string[] {
    return this.models.map((m) => m.name);
  }

  /** Interfaces the plan believes registered now, over all scopes. */
  get registeredCount(): number {
    return this.models.reduce((sum, m) => sum + m.registered.length, 0);
  }

  /** The next step: a detection, a removal or a spoiled message, in a scope picked at random. */
  next(): PlannedMessage {
    const model = this.models[this.random.int(0, this.models.length - 1)] as ScopeModel;
    if (this.options.invalidKinds.length > 0 && this.random.next() < this.options.invalid) return this.spoiled(model);
    const removing = this.random.next() < this.options.churn;
    const waiting = model.removed.length - model.removedHead;
    if (removing && model.registered.length > 0) return this.remove(model);
    if (model.fresh < this.perScope && (waiting === 0 || this.random.next() < 0.5)) return this.detect(model, model.fresh++, 'detect');
    if (waiting > 0) return this.detect(model, this.takeRemoved(model), 'redetect');
    // Everything is registered: its agent announces one again, as after its own restart.
    const ordinal = model.registered[this.random.int(0, model.registered.length - 1)] as number;
    return this.message(model, 'reannounce', this.detection(model, ordinal), { type: 'InterfaceRegistered' }, this.iface(model, ordinal).luid);
  }

  /** The scope's computer restarted: a BootEpoch; every registration of the scope is void. */
  boot(scope: string): PlannedMessage {
    const model = this.models.find((m) => m.name === scope);
    if (!model) throw new RangeError(`unknown scope ${scope}`);
    model.boots++;
    // After the boot every provider registers its interfaces again, with the same LUIDs.
    model.removed.push(...model.registered.splice(0));
    const seq = this.seq;
    const body = {
      type: 'BootEpoch',
      schemaVersion: 1,
      messageId: this.messageId(seq),
      scope: model.name,
      bootId: `${this.options.runId}-${model.name}-boot-${model.boots}`,
      at: this.time(seq),
    };
    return this.message(model, 'boot', body, { type: 'BootEpochStarted' });
  }

  private detect(model: ScopeModel, ordinal: number, action: 'detect' | 'redetect'): PlannedMessage {
    model.registered.push(ordinal);
    return this.message(model, action, this.detection(model, ordinal), { type: 'InterfaceRegistered' }, this.iface(model, ordinal).luid);
  }

  private remove(model: ScopeModel): PlannedMessage {
    const at = this.random.int(0, model.registered.length - 1);
    const ordinal = model.registered[at] as number;
    model.registered[at] = model.registered[model.registered.length - 1] as number;
    model.registered.pop();
    model.removed.push(ordinal);
    const iface = this.iface(model, ordinal);
    const body = {
      type: 'InterfaceRemoved',
      schemaVersion: 1,
      messageId: this.messageId(this.seq),
      scope: model.name,
      providerId: iface.providerId,
      luid: iface.luid,
    };
    return this.message(model, 'remove', body, { type: 'InterfaceDeregistered' }, iface.luid);
  }

  /** A detection of any interface of the scope, spoiled; the model does not change. */
  private spoiled(model: ScopeModel): PlannedMessage {
    const kind = this.random.pick(this.options.invalidKinds);
    const ordinal = this.random.int(0, this.perScope - 1);
    const expected: Expected = isDeadLetterKind(kind) ? { type: 'dead-letter' } : { type: 'RegistrationFailed', status: 'INVALID_PARAMETER' };
    const planned = this.message(model, 'invalid', this.detection(model, ordinal), expected, this.iface(model, ordinal).luid);
    return { ...planned, invalid: kind, value: spoil(JSON.parse(planned.value) as Record<string, unknown>, kind) };
  }

  private takeRemoved(model: ScopeModel): number {
    const ordinal = model.removed[model.removedHead++] as number;
    // Compact now and then, so a long run does not keep every removal ever made.
    if (model.removedHead > 1024 && model.removedHead * 2 > model.removed.length) {
      model.removed.splice(0, model.removedHead);
      model.removedHead = 0;
    }
    return ordinal;
  }

  private iface(model: ScopeModel, ordinal: number): SimInterface {
    return simInterface(this.options, model.index, ordinal);
  }

  private detection(model: ScopeModel, ordinal: number): Record<string, unknown> {
    const iface = this.iface(model, ordinal);
    return {
      type: 'InterfaceDetected',
      schemaVersion: 1,
      messageId: this.messageId(this.seq),
      scope: model.name,
      providerId: iface.providerId,
      luid: iface.luid,
      providerIfContext: iface.providerIfContext,
      info: iface.info,
      detectedAt: this.time(this.seq),
    };
  }

  private message(model: ScopeModel, action: Action, body: Record<string, unknown>, expected: Expected, luid?: NetLuid): PlannedMessage {
    const seq = this.seq++;
    return {
      seq,
      messageId: body['messageId'] as string,
      type: body['type'] as SentType,
      action,
      scope: model.name,
      ...(luid ? { luid } : {}),
      expected,
      key: model.name,
      value: JSON.stringify(body),
    };
  }

  private messageId(seq: number): string {
    return `${this.options.runId}-${seq}`;
  }

  private time(seq: number): string {
    return new Date(this.options.startTime + seq).toISOString();
  }
}

/** The first `count` steps of a plan, with a BootEpoch for every scope first when `initialBoot`. */
export function planMessages(options: PlanOptions, count: number, initialBoot = false): PlannedMessage[] {
  const plan = new MessagePlan(options);
  const boots = initialBoot ? plan.scopes.map((scope) => plan.boot(scope)) : [];
  return [...boots, ...Array.from({ length: count }, () => plan.next())];
}

function checkPlanOptions(o: PlanOptions): void {
  const problems: string[] = [];
  if (!Number.isInteger(o.scopes) || o.scopes < 1) problems.push('scopes must be a positive integer');
  if (!Number.isInteger(o.providers) || o.providers < 1) problems.push('providers must be a positive integer');
  if (!Number.isInteger(o.interfaces) || o.interfaces < 1) problems.push('interfaces must be a positive integer');
  if (o.providers * o.interfaces > MAX_INTERFACES_PER_SCOPE) problems.push(`providers × interfaces must be at most ${MAX_INTERFACES_PER_SCOPE} (24-bit NetLuidIndexes)`);
  if (!(o.churn >= 0 && o.churn <= 1)) problems.push('churn must be between 0 and 1');
  if (!(o.invalid >= 0 && o.invalid <= 1)) problems.push('invalid must be between 0 and 1');
  if (!/^[A-Za-z0-9._-]{1,48}$/.test(o.scopePrefix)) problems.push('scopePrefix must be 1-48 characters of [A-Za-z0-9._-]');
  if (!/^[A-Za-z0-9._:-]{1,80}$/.test(o.runId)) problems.push('runId must be 1-80 characters of [A-Za-z0-9._:-]');
  for (const kind of o.invalidKinds) if (!INVALID_KINDS.includes(kind)) problems.push(`unknown invalid kind ${kind}`);
  if (problems.length > 0) throw new RangeError(problems.join('; '));
}
