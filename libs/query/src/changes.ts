import { luidHex, luidName, type FailureView, type InterfaceView, type RegistryEvent, type ScopeView } from '@ifreg/domain';

/** What a watch client sees: one change of one scope at one store position. */
export interface Change {
  readonly position: number;
  readonly scope: string;
  readonly kind: 'registered' | 'deregistered' | 'failed' | 'reset';
  readonly data: unknown;
}

/** The change an event made to its scope view (read after it was applied), if any. */
export function changeOf(event: RegistryEvent, position: number, view: ScopeView | undefined): Change | undefined {
  const base = { position, scope: event.scope };
  switch (event.type) {
    case 'InterfaceRegistered': {
      const item: InterfaceView | undefined = view?.interfaces.get(event.ifIndex);
      return item?.registeredPosition === position ? { ...base, kind: 'registered', data: item } : undefined;
    }
    case 'InterfaceDeregistered':
      if (view?.epoch !== event.epoch) return undefined;
      return {
        ...base,
        kind: 'deregistered',
        data: { ifIndex: event.ifIndex, luid: { ...event.luid, value: luidHex(event.luid), name: luidName(event.luid) }, providerId: event.providerId, at: event.at },
      };
    case 'RegistrationFailed': {
      const failure: FailureView | undefined = view?.failures.at(-1);
      return failure?.position === position ? { ...base, kind: 'failed', data: failure } : undefined;
    }
    case 'BootEpochStarted':
      return { ...base, kind: 'reset', data: { epoch: event.epoch, bootId: event.bootId, at: event.at } };
    default:
      return undefined;
  }
}

/**
 * The most recent changes, kept so a watch can resume from a position. Older positions are
 * answered "too old, relist" (like Kubernetes' 410 after a compaction).
 */
export class ChangeLog {
  private readonly items: Change[] = [];
  /** Changes at or below this position may have been dropped. */
  private horizon = 0;

  constructor(private readonly capacity: number) {}

  add(change: Change): void {
    this.items.push(change);
    if (this.items.length > this.capacity) {
      const dropped = this.items.splice(0, this.items.length - this.capacity);
      this.horizon = dropped.at(-1)?.position ?? this.horizon;
    }
  }

  /** Changes after `from`, or undefined when some of them are no longer kept. */
  since(from: number, scope?: string): Change[] | undefined {
    if (from < this.horizon) return undefined;
    return this.items.filter((c) => c.position > from && (scope === undefined || c.scope === scope));
  }

  get oldestServable(): number {
    return this.horizon;
  }

  /** Forget everything: after a rebuild the history is served from the new model on. */
  reset(position: number): void {
    this.items.length = 0;
    this.horizon = position;
  }
}
